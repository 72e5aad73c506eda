import { describe, expect, it } from 'vitest';
import { searchKey } from '../../src-shared/text/normalize.js';
import { canonicalPhone, displayPhone } from '../../src-shared/text/phone.js';

describe('search keys', () => {
  it('ignore accents, case and punctuation', () => {
    expect(searchKey('Saint-Étienne')).toBe('SAINT ETIENNE');
    expect(searchKey("L'Haÿ-les-Roses")).toBe('L HAY LES ROSES');
    expect(searchKey('Cœuvres-et-Valsery')).toBe('COEUVRES ET VALSERY');
  });
});

describe('phone numbers', () => {
  it('give one canonical form for the ways a French number is typed', () => {
    for (const typed of ['06 12 34 56 78', '06.12.34.56.78', '+33 6 12 34 56 78', '0033612345678', '+33612345678']) {
      expect(canonicalPhone(typed)).toBe('+33612345678');
    }
    expect(displayPhone('+33612345678')).toBe('06 12 34 56 78');
  });
  it('keep overseas and foreign numbers apart', () => {
    expect(canonicalPhone('+262 692 12 34 56')).toBe('+262692123456');
    expect(canonicalPhone('+32 470 12 34 56')).toBe('+32470123456');
  });
  it('reject what is not a phone number', () => {
    expect(canonicalPhone('12')).toBeNull();
    expect(canonicalPhone('')).toBeNull();
  });
});

import { formatFrenchDate, formatFrenchDateTime, parseFrenchDate, parseFrenchDateTime, parseFrenchTime } from '../../src-shared/text/dates.js';

describe('French dates as typed', () => {
  const today = new Date(2026, 10, 25);
  it('accept the usual ways of typing a birth date', () => {
    for (const t of ['17/01/1942', '17011942', '17-01-1942', '17.01.1942', '17/1/1942', '17 01 1942']) {
      expect(parseFrenchDate(t, today)).toBe('1942-01-17');
    }
    expect(parseFrenchDate('09/10/19', today)).toBe('2019-10-09');
    expect(parseFrenchDate('09/10/42', today)).toBe('1942-10-09');
  });
  it('reject what is not a calendar date', () => {
    for (const t of ['31/02/2020', '00/01/2000', '1942', 'abc', '32/01/1999', '01/13/1999', '01/01/1700']) {
      expect(parseFrenchDate(t, today)).toBeNull();
    }
  });
  it('formats back', () => expect(formatFrenchDate('1942-01-17')).toBe('17/01/1942'));
});

describe('French date and time fields (day first, 24 h, whatever the browser’s language)', () => {
  const today = new Date(2026, 11, 2, 19, 48);
  it('reads a date and time as regulators type them', () => {
    expect(parseFrenchDateTime('02/12/2026 19:48', today)).toBe('2026-12-02T19:48');
    expect(parseFrenchDateTime('2/12/26 19h48', today)).toBe('2026-12-02T19:48');
    expect(parseFrenchDateTime('02122026 1948', today)).toBe('2026-12-02T19:48');
    expect(parseFrenchDateTime('3/1/27 à 8h', today)).toBe('2027-01-03T08:00'); // an appointment is near today, not in 1927
    expect(parseFrenchDateTime('12/02/2026, 07:48 PM', today)).toBeNull(); // the US format is refused, not misread
    expect(parseFrenchDateTime('31/02/2026 10:00', today)).toBeNull();
    expect(parseFrenchDateTime('02/12/2026 24:00', today)).toBeNull();
    expect(parseFrenchTime('9:05')).toBe('09:05');
    expect(parseFrenchTime('19h')).toBe('19:00');
    expect(parseFrenchTime('7 PM')).toBeNull();
    expect(formatFrenchDateTime('2026-12-02T19:48')).toBe('02/12/2026 19:48');
  });
});
