/** "312 / 500" under a free-text field; shown once the text nears its limit, in red at it. */
export function TextCounter({ text, max }: { text: string; max: number }) {
  if (text.length < max * 0.8) return null;
  return (
    <span className={`text-counter small${text.length >= max ? ' error' : ' muted'}`} aria-live="polite">
      {text.length.toLocaleString('fr-FR')} / {max.toLocaleString('fr-FR')} caractères
    </span>
  );
}
