/** The six digits an authenticator app shows: digits only, numeric keypad, the browser's one-time-code hint. */
export function OneTimeCodeField({ label, value, onChange }: { label: string; value: string; onChange(code: string): void }) {
  return (
    <label>
      {label}
      <input
        autoFocus
        value={value}
        onChange={(e) => onChange(e.target.value.replace(/\D/g, '').slice(0, 6))}
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="\d{6}"
        required
        className="mono"
      />
    </label>
  );
}
