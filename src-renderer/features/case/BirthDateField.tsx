import { useState } from 'react';
import { formatFrenchDate, parseFrenchDate } from '../../../src-shared/text/dates';

/** A birth date typed the French way (JJ/MM/AAAA or 8 digits), checked as it is typed. */
export function BirthDateField({ value, onChange }: { value: string | undefined; onChange: (iso: string | undefined) => void }) {
  /** What the user is typing; null when the field shows the stored date. */
  const [editing, setEditing] = useState<string | null>(null);
  const text = editing ?? (value ? formatFrenchDate(value) : '');
  const invalid = text.trim() !== '' && parseFrenchDate(text) === null;
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
          setEditing(e.target.value);
          const typed = e.target.value.trim();
          const parsed = typed === '' ? undefined : parseFrenchDate(typed);
          if (parsed !== null) onChange(parsed);
        }}
        onBlur={() => {
          if (!invalid) setEditing(null);
        }}
      />
      {invalid ? (
        <span id="birthdate-error" className="error small">
          date invalide
        </span>
      ) : null}
    </label>
  );
}
