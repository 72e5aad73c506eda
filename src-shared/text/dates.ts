import { format, isValid, parse } from 'date-fns';

/**
 * A birth date as an ARM types it: "17/01/1942", "17011942", "17-01-1942", "17.01.1942" or "17/1/42"
 * (two-digit years are taken in the past century when they would be in the future).
 * Returns the ISO date "1942-01-17", or null when it is not a real calendar date.
 */
export function parseFrenchDate(text: string, today = new Date()): string | null {
  const t = text.trim();
  let d: Date | null = null;
  if (/^\d{8}$/.test(t)) d = parse(t, 'ddMMyyyy', today);
  else {
    const m = /^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})$/.exec(t);
    if (m) {
      let year = Number(m[3]);
      if (m[3]!.length === 2) {
        year += 2000;
        if (year > today.getFullYear()) year -= 100;
      }
      d = parse(`${m[1]!.padStart(2, '0')}/${m[2]!.padStart(2, '0')}/${year}`, 'dd/MM/yyyy', today);
    }
  }
  if (!d || !isValid(d) || d.getFullYear() < 1890) return null;
  return format(d, 'yyyy-MM-dd');
}

/** "1942-01-17" → "17/01/1942". */
export function formatFrenchDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}
