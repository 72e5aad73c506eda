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
