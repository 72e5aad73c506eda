import { describe, expect, it } from 'vitest';
import { sasSearchUrl, splitStreet } from '../../src-shared/domain/sas-search.js';

const settings = { url: 'https://sas.example.fr/recherche', origin: 'permanence-21' };

describe('the SAS platform’s contextual search', () => {
  it('carries the origin, the treating doctor as an RPPS OID, the commune and the street', () => {
    const url = new URL(
      sasSearchUrl(settings, { fields: { treatingDoctor: { id: '10003456789', name: 'Dr Durand' }, location: { inseeCode: '21231', communeName: 'Dijon', address: '12 bis rue des Forges, 2e étage' } } }),
    );
    expect(url.origin + url.pathname).toBe('https://sas.example.fr/recherche');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      origin: 'permanence-21',
      practitioner: 'urn:oid:1.2.250.1.71.4.2.1|810003456789',
      inseecode: '21231',
      city: 'Dijon',
      streetnumber: '12 bis',
      streetname: 'rue des Forges',
    });
  });

  it('leaves out what the case does not know (an ADELI number is not an RPPS)', () => {
    const url = new URL(sasSearchUrl(settings, { fields: { treatingDoctor: { id: '219876543', name: 'Dr X' }, location: { communeName: 'Beaune' } } }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ origin: 'permanence-21', city: 'Beaune' });
  });

  it('splits a street address', () => {
    expect(splitStreet('3 place Darcy')).toEqual({ number: '3', street: 'place Darcy' });
    expect(splitStreet('lieu-dit Les Vignes')).toEqual({ street: 'lieu-dit Les Vignes' });
  });
});
