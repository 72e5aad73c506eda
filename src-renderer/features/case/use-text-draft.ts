import { useCallback, useEffect, useRef, useState } from 'react';
import type { TextDraftField } from '../../../src-shared/contract/methods';
import { useApp } from '../../app/context';

/** Saved on the workstation at most this long after a keystroke, as the screening form's draft. */
const SAVE_MS = 400;

/**
 * A free text of a case (a clinical note, a reason) kept on the workstation while it is typed:
 * closing the case, opening another, Escape or a crash lose nothing; it comes back when the case
 * is opened again, until it is sent (clear()) or emptied. Its component is keyed by the case.
 */
export function useTextDraft(caseId: string, field: TextDraftField) {
  const bridge = useApp((s) => s.bridge);
  const [text, setTextState] = useState('');
  const [restored, setRestored] = useState(false);
  const latest = useRef({ caseId, text: '' });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const save = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    void bridge.invoke('draft.saveText', { caseId: latest.current.caseId, field, text: latest.current.text });
  }, [bridge, field]);

  // One case per mount (its users key it by case): the state starts empty for it.
  useEffect(() => {
    latest.current = { caseId, text: '' };
    let stale = false;
    void bridge.invoke('draft.getTexts', { caseId }).then((r) => {
      if (stale || !r.ok) return;
      const found = r.value.find((d) => d.field === field);
      if (found && latest.current.text === '') {
        latest.current.text = found.text;
        setTextState(found.text);
        setRestored(true);
      }
    });
    return () => {
      stale = true;
      // Leaving the case (Escape, another case): what was typed is saved now, not lost with the timer.
      if (timer.current) save();
    };
  }, [bridge, caseId, field, save]);

  const setText = useCallback(
    (next: string) => {
      latest.current.text = next;
      setTextState(next);
      if (!timer.current) timer.current = setTimeout(save, SAVE_MS);
    },
    [save],
  );
  /** The text was sent: forget it here and on the workstation. */
  const clear = useCallback(() => {
    latest.current.text = '';
    setTextState('');
    setRestored(false);
    save();
  }, [save]);
  return { text, setText, clear, restored };
}
