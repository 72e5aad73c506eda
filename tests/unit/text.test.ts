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

import { formatFrenchDate, parseFrenchDate } from '../../src-shared/text/dates.js';

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
