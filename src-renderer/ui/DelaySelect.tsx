/** The wished delay (Hub Santé codes) as a labelled select. */
import { DELAY_CODES, DELAY_LABELS, type DelayCode } from '../../src-shared/domain/codes';

export function DelaySelect({ name, value, onChange }: { name: string; value: DelayCode; onChange(d: DelayCode): void }) {
  return (
    <label>
      Délai souhaité
      <select name={name} value={value} onChange={(e) => onChange(e.target.value as DelayCode)}>
        {DELAY_CODES.map((d) => (
          <option key={d} value={d}>
            {DELAY_LABELS[d]}
          </option>
        ))}
      </select>
    </label>
  );
}
