import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * One canonical form per phone number (E.164, "+33612345678"), so that "06 12 34 56 78",
 * "+33 6 12 34 56 78" and "0033612345678" find the same repeat caller. French numbers by default;
 * overseas departments (+262, +590, +594, +596) and foreign numbers keep their own country code.
 * Returns null for input that is not a plausible phone number.
 */
export function canonicalPhone(input: string): string | null {
  const trimmed = input.trim().replace(/^00/, '+');
  if (trimmed === '') return null;
  const parsed = parsePhoneNumberFromString(trimmed, 'FR');
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** "+33612345678" → "06 12 34 56 78" (national form for French numbers, international otherwise). */
export function displayPhone(canonical: string): string {
  const parsed = parsePhoneNumberFromString(canonical, 'FR');
  if (!parsed) return canonical;
  return parsed.country === 'FR' ? parsed.formatNational() : parsed.formatInternational();
}
