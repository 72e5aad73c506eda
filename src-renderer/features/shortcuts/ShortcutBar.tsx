import { useEffect, useRef } from 'react';
import { useApp } from '../../app/context';
import { SHORTCUTS } from './shortcuts';

/** Always visible at the bottom of the screen: the night shift should not have to remember. */
export function ShortcutBar() {
  return (
    <footer className="shortcut-bar" aria-label="Raccourcis clavier">
      <ul>
        {SHORTCUTS.map((s) => (
          <li key={s.id}>
            <kbd>{s.keys}</kbd> {s.label}
          </li>
        ))}
      </ul>
    </footer>
  );
}

export function ShortcutHelp() {
  const open = useApp((s) => s.helpOpen);
  const setOpen = useApp((s) => s.setHelpOpen);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="help" aria-labelledby="help-title" onClose={() => setOpen(false)}>
      <h2 id="help-title">Raccourcis clavier</h2>
      <table>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.id}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.label}</td>
            </tr>
          ))}
          <tr>
            <td>
              <kbd>Tab</kbd> / <kbd>Maj+Tab</kbd>
            </td>
            <td>Champ suivant / précédent</td>
          </tr>
          <tr>
            <td>
              <kbd>↑</kbd> <kbd>↓</kbd> <kbd>Entrée</kbd>
            </td>
            <td>Choisir une commune proposée</td>
          </tr>
        </tbody>
      </table>
      <button type="button" onClick={() => setOpen(false)} autoFocus>
        Fermer (Échap)
      </button>
    </dialog>
  );
}
