import { useEffect, useState } from 'react';
import { formatFrenchDate, parseFrenchDate } from '../../../src-shared/text/dates';

/** A birth date typed the French way (JJ/MM/AAAA or 8 digits), checked as it is typed. */
export function BirthDateField({ value, onChange }: { value: string | undefined; onChange: (iso: string | undefined) => void }) {
  const [text, setText] = useState(value ? formatFrenchDate(value) : '');
  useEffect(() => {
    if (value && parseFrenchDate(text) !== value) setText(formatFrenchDate(value));
    if (!value && parseFrenchDate(text)) setText('');
    // Only when the stored value changes from outside.
  }, [value]);
  const iso = text.trim() === '' ? undefined : parseFrenchDate(text);
  const invalid = iso === null;
  return (
    <label>
      Date de naissance
      <input
        name="birthDate"
        placeholder="JJ/MM/AAAA"
        inputMode="numeric"
        size={11}
        value={text}
        aria-invalid={invalid}
        aria-describedby={invalid ? 'birthdate-error' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = e.target.value.trim() === '' ? undefined : parseFrenchDate(e.target.value);
          if (parsed !== null) onChange(parsed);
        }}
        onBlur={() => iso && setText(formatFrenchDate(iso))}
      />
      {invalid ? (
        <span id="birthdate-error" className="error small">
          date invalide
        </span>
      ) : null}
    </label>
  );
}
