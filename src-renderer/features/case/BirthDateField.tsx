import { useState } from 'react';
import { formatFrenchDate, parseFrenchDate } from '../../../src-shared/text/dates';
import { isoToday } from '../../../src-shared/domain/screening-check';

/** A birth date typed the French way (JJ/MM/AAAA or 8 digits), checked as it is typed. */
export function BirthDateField({
  value,
  onChange,
  problem,
}: {
  value: string | undefined;
  onChange: (iso: string | undefined) => void;
  /** What the form found wrong with the date (in the future), shown on the field. */
  problem?: string | undefined;
}) {
  /** What the user is typing; null when the field shows the stored date. */
  const [editing, setEditing] = useState<string | null>(null);
  const text = editing ?? (value ? formatFrenchDate(value) : '');
  const parsed = text.trim() === '' ? undefined : parseFrenchDate(text);
  const message = parsed === null ? 'date invalide' : parsed && parsed > isoToday() ? 'date dans le futur' : (problem ?? null);
  const invalid = message !== null;
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
          if (parsed !== null) setEditing(null);
        }}
      />
      {invalid ? (
        <span id="birthdate-error" className="field-error small">
          {message}
        </span>
      ) : null}
    </label>
  );
}
