// @vitest-environment happy-dom
/**
 * One render error never blanks the whole workstation: the failed panel says so and can be drawn
 * again; the panels beside it (the softphone in a call, the queue) keep showing.
 */
import { act, createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PanelBoundary } from '../../src-renderer/ui/PanelBoundary';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let broken = true;
function CaseContent() {
  if (broken) throw new Error('données inattendues dans le dossier');
  return h('p', null, 'Dossier 20261202-ABC123');
}

afterEach(() => {
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

describe('a panel’s render error', () => {
  it('stays in its panel: the softphone beside it keeps showing the call; the panel is drawn again on demand or with another case', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reported: string[] = [];
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    const page = (resetKey: string) =>
      h(
        'div',
        null,
        h(PanelBoundary, { name: 'Dossier', resetKey, onError: (panel: string) => reported.push(panel) }, h(CaseContent)),
        h(PanelBoundary, { name: 'Téléphonie' }, h('p', null, 'Appel en cours 02:14')),
      );
    broken = true;
    await act(async () => root.render(page('case-1')));
    expect(container.textContent).toContain('Dossier : affichage interrompu');
    expect(container.textContent).toContain('données inattendues dans le dossier');
    expect(container.textContent).toContain('Appel en cours 02:14');
    expect(container.querySelector('[role="alert"]')?.getAttribute('aria-label')).toBe('Dossier : erreur');
    expect(reported).toEqual(['Dossier']);
    expect(errors).toHaveBeenCalled();

    // Mended (the data changed): "Réafficher le panneau" draws it again.
    broken = false;
    const retry = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Réafficher le panneau')!;
    await act(async () => retry.click());
    expect(container.textContent).toContain('Dossier 20261202-ABC123');

    // Broken again, then another case opened: drawn again without a click.
    broken = true;
    await act(async () => root.render(page('case-1b')));
    await act(async () => root.render(page('case-1b')));
    broken = false;
    await act(async () => root.render(page('case-2')));
    expect(container.textContent).toContain('Dossier 20261202-ABC123');
    await act(async () => root.unmount());
  });
});
