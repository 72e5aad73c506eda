/**
 * Date and time fields that read the French way whatever the browser's language: day first,
 * 24 h, typed ("02/12/2026 19:48", "2/12 19h48"), with the date written out beside it
 * ("mer. 2 déc. 2026, 19:48") so that a day/month swap cannot go unseen. Native date inputs follow
 * the installed browser's locale (12/02/2026, 07:48 PM in a Chromium without its French pack).
 * Values are the same strings the native inputs gave: "YYYY-MM-DDTHH:MM", "YYYY-MM-DD", "HH:MM".
 */
import { format } from 'date-fns';
import { fr } from 'date-fns/locale';
import { useId, useState } from 'react';
import { writtenDateTime } from './labels';
import { formatFrenchDate, formatFrenchDateTime, parseFrenchDate, parseFrenchDateTime, parseFrenchTime } from '../../src-shared/text/dates';

/** "mer. 2 déc. 2026, 19:48" for a local "YYYY-MM-DDTHH:MM". */
export function writtenOut(local: string): string {
  const [d, t] = local.split('T');
  const [y, m, day] = d!.split('-').map(Number);
  const [h, min] = (t ?? '00:00').split(':').map(Number);
  const date = new Date(y!, m! - 1, day!, h!, min!);
  return t ? writtenDateTime(date.getTime()) : format(date, 'EEE d MMM yyyy', { locale: fr });
}

function useTyped(value: string, show: (v: string) => string) {
  /** What is being typed; null when the field shows the value. */
  const [typed, setTyped] = useState<string | null>(null);
  return { text: typed ?? (value ? show(value) : ''), typed, setTyped };
}

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  className?: string;
}

/** A typed field whose value is what `parse` makes of the text; the value written out beside it. */
function TypedDateField({
  label,
  name,
  value,
  onChange,
  className,
  parse,
  show,
  placeholder,
  size,
  hint,
}: FieldProps & { parse: (text: string) => string | null; show: (value: string) => string; placeholder: string; size: number; hint: string }) {
  const id = useId();
  const { text, typed, setTyped } = useTyped(value, show);
  const parsed = typed === null ? value || null : parse(typed);
  const invalid = typed !== null && typed.trim() !== '' && parsed === null;
  return (
    <span className={`date-field${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        inputMode="numeric"
        placeholder={placeholder}
        size={size}
        value={text}
        aria-invalid={invalid || undefined}
        aria-describedby={`${id}-said`}
        onChange={(e) => {
          setTyped(e.target.value);
          const p = parse(e.target.value);
          if (p) onChange(p);
        }}
        onBlur={() => {
          if (!invalid) setTyped(null);
        }}
      />
      <span id={`${id}-said`} className={invalid ? 'field-error small' : 'muted small written-date'}>
        {invalid ? hint : parsed ? writtenOut(parsed) : ''}
      </span>
    </span>
  );
}

const parseDay = (text: string) => parseFrenchDate(text, undefined, 'near');

export function DateTimeField(props: FieldProps) {
  return <TypedDateField {...props} parse={parseFrenchDateTime} show={formatFrenchDateTime} placeholder="JJ/MM/AAAA HH:MM" size={17} hint="date et heure : JJ/MM/AAAA HH:MM (24 h)" />;
}

export function DateField(props: FieldProps) {
  return <TypedDateField {...props} parse={parseDay} show={formatFrenchDate} placeholder="JJ/MM/AAAA" size={11} hint="date : JJ/MM/AAAA" />;
}

export function TimeField({ label, name, value, onChange, className }: FieldProps) {
  const { text, typed, setTyped } = useTyped(value, (v) => v);
  const invalid = typed !== null && typed.trim() !== '' && parseFrenchTime(typed) === null;
  return (
    <label className={className}>
      {label}
      <input
        name={name}
        inputMode="numeric"
        placeholder="HH:MM"
        size={6}
        value={text}
        aria-invalid={invalid || undefined}
        onChange={(e) => {
          setTyped(e.target.value);
          const p = parseFrenchTime(e.target.value);
          if (p) onChange(p);
        }}
        onBlur={() => {
          if (!invalid) setTyped(null);
        }}
      />
      {invalid ? <span className="field-error small">heure : HH:MM (24 h)</span> : null}
    </label>
  );
}
