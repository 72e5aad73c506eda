/** A labelled choice among codified values, with their French labels. */
export function CodeSelect<C extends string>({
  label,
  name,
  value,
  codes,
  labels,
  onChange,
  placeholder,
}: {
  label: string;
  name?: string;
  value: C | undefined;
  codes: readonly C[];
  labels: Record<C, string> | ((code: C) => string);
  onChange: (code: C | undefined) => void;
  /** When given, an empty first choice (the field is not filled yet). */
  placeholder?: string;
}) {
  const text = (c: C) => (typeof labels === 'function' ? labels(c) : labels[c]);
  return (
    <label>
      {label}
      <select name={name} value={value ?? ''} onChange={(e) => onChange((e.target.value || undefined) as C | undefined)}>
        {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
        {codes.map((c) => (
          <option key={c} value={c}>
            {text(c)}
          </option>
        ))}
      </select>
    </label>
  );
}
