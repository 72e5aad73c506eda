/**
 * The patient's treating doctor: picked from the directory's effectors by name or RPPS (the
 * cascade then asks them first), or typed as a name only when they are not in the directory.
 */
import { useState } from 'react';
import { effectorName, type Effector } from '../../../src-shared/schemas/effectors';
import type { ScreeningFields } from '../../../src-shared/schemas/case';

type Treating = ScreeningFields['treatingDoctor'];

const optionOf = (e: Effector) => `${effectorName(e)} — ${e.rpps ? `RPPS ${e.rpps}` : `ADELI ${e.adeli}`}`;

function textOf(value: Treating, effectors: readonly Effector[]): string {
  if (!value) return '';
  const e = value.id ? effectors.find((x) => x.id === value.id) : undefined;
  return e ? optionOf(e) : value.name;
}

export function TreatingDoctorField({ value, effectors, onChange }: { value: Treating; effectors: readonly Effector[]; onChange(v: Treating): void }) {
  // What the user is typing; otherwise the chosen doctor as the directory names them.
  const [typing, setTyping] = useState<string | null>(null);
  const text = typing ?? textOf(value, effectors);
  const known = value?.id ? effectors.some((e) => e.id === value.id) : false;
  return (
    <label className="grow">
      Médecin traitant
      <input
        name="treatingDoctor"
        list="choices-treating-doctor"
        value={text}
        placeholder="nom ou RPPS"
        onBlur={() => setTyping(null)}
        onChange={(e) => {
          const t = e.target.value;
          setTyping(t);
          const typed = t.trim();
          const digits = typed.replace(/\D/g, '');
          const match = effectors.find((x) => optionOf(x) === typed || (digits.length === 11 && x.rpps === digits));
          if (match) {
            // Found in the directory: the field shows the doctor as the directory names them.
            setTyping(null);
            onChange({ id: match.id, name: effectorName(match) });
          }
          else onChange(typed ? { name: typed } : undefined);
        }}
      />
      <datalist id="choices-treating-doctor">
        {effectors.map((e) => (
          <option key={e.id} value={optionOf(e)} />
        ))}
      </datalist>
      {value && !known ? <span className="muted small">hors annuaire : ne sera pas sollicité</span> : null}
    </label>
  );
}
