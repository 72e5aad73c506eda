/**
 * National identifiers of health professionals and structures, checked before they enter the
 * directory: RPPS (11 digits, Luhn key), ADELI (9 characters), FINESS (9 characters, Luhn key
 * when all digits), SIRET (14 digits, Luhn key; La Poste's establishments excepted by INSEE).
 */

/** Luhn check (ISO/IEC 7812): the last digit is the key of the others. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The Luhn key that completes `body` (for building test data and fixing typos in tests). */
export function luhnKey(body: string): string {
  for (let k = 0; k <= 9; k++) if (luhnValid(body + k)) return String(k);
  throw new Error(`no Luhn key for ${body}`);
}

export const isRpps = (s: string): boolean => /^\d{11}$/.test(s) && luhnValid(s);
export const isAdeli = (s: string): boolean => /^(\d{2}|2A|2B)\d{7}$/.test(s);
/** La Poste's SIRETs (SIREN 356000000) follow another rule: accepted on format alone. */
export const isSiret = (s: string): boolean => /^\d{14}$/.test(s) && (luhnValid(s) || s.startsWith('356000000'));
export const isFiness = (s: string): boolean => (/^\d{9}$/.test(s) ? luhnValid(s) : /^(2A|2B)\d{7}$/.test(s));
