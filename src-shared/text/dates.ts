import { format, isValid, parse } from 'date-fns';

/**
 * A birth date as an ARM types it: "17/01/1942", "17011942", "17-01-1942", "17.01.1942" or "17/1/42"
 * (two-digit years are taken in the past century when they would be in the future).
 * Returns the ISO date "1942-01-17", or null when it is not a real calendar date.
 */
export function parseFrenchDate(text: string, today = new Date(), twoDigitYears: 'past' | 'near' = 'past'): string | null {
  const t = text.trim();
  let d: Date | null = null;
  if (/^\d{8}$/.test(t)) d = parse(t, 'ddMMyyyy', today);
  else {
    const m = /^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})$/.exec(t);
    if (m) {
      let year = Number(m[3]);
      if (m[3]!.length === 2) {
        year += 2000;
        // A birth date is in the past; an appointment or a period is near today.
        if (twoDigitYears === 'past' && year > today.getFullYear()) year -= 100;
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

/** "19:48", "19h48", "19h", "1948", "9:05" → "19:48" / "09:05"; null when it is not a time of day. */
export function parseFrenchTime(text: string): string | null {
  const m = /^(\d{1,2})(?:[:hH.]\s?(\d{2})?|(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2] ?? m[3] ?? 0);
  if (h > 23 || min > 59) return null;
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

/**
 * A date and time as a regulator types them, day first, 24 h: "02/12/2026 19:48", "2/12/26 19h48",
 * "02122026 1948". Returns the local "YYYY-MM-DDTHH:MM" (the value date fields carry), or null.
 */
export function parseFrenchDateTime(text: string, today = new Date()): string | null {
  const t = text.trim().replace(/\s+(à|a)\s+/i, ' ');
  const m = /^(\S+)\s+(\S+)$/.exec(t);
  if (!m) return null;
  const day = parseFrenchDate(m[1]!, today, 'near');
  const time = parseFrenchTime(m[2]!);
  return day && time ? `${day}T${time}` : null;
}

/** "2026-12-02T19:48" → "02/12/2026 19:48" (what the field shows). */
export function formatFrenchDateTime(local: string): string {
  const [day, time] = local.split('T');
  return `${formatFrenchDate(day!)} ${time!.slice(0, 5)}`;
}
