/**
 * Commune search as regulators type: postal codes kept (Paris by arrondissement), apostrophes and
 * hyphens typed or not, former communes merged into a commune nouvelle, postal codes shared by
 * many communes listed whole.
 */
import { describe, expect, it } from 'vitest';
import { CommuneDirectory } from '../../src-main/core/reference/communes.js';
import { communeLabel } from '../../src-shared/domain/commune-label.js';

const communes = CommuneDirectory.load();

describe('commune search', () => {
  it('keeps the postal code typed: 75015 is Paris 15e, with its own INSEE code', () => {
    const [first, ...rest] = communes.search('75015', 100);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ inseeCode: '75115', postalCode: '75015', cityInseeCode: '75056' });
    expect(first!.name).toMatch(/^Paris 15e/);
  });

  it('keeps the postal code typed when a commune has several (45330 is not 45300)', () => {
    const hits = communes.search('45330', 100);
    expect(hits.length).toBeGreaterThan(0);
    for (const c of hits) {
      expect(c.postalCode).toBe('45330');
      expect(c.postalCodes).toContain('45330');
    }
  });

  it('answers a commune with several postal codes once per code when searched by name', () => {
    const orleans = communes.search('orléans', 10).filter((c) => c.inseeCode === '45234');
    expect(orleans.map((c) => c.postalCode).toSorted()).toEqual(['45000', '45100']);
  });

  it('lists every commune of a postal code shared by many (51300: more than 40)', () => {
    const hits = communes.search('51300', 200);
    expect(hits.length).toBeGreaterThan(40);
    expect(new Set(hits.map((c) => c.inseeCode)).size).toBe(hits.length);
  });

  it('matches apostrophes and hyphens loosely', () => {
    for (const typed of ['lhay les roses', 'l hay les roses', "L'Haÿ-les-Roses", 'lhaylesroses']) {
      expect(communes.search(typed, 3)[0]?.inseeCode, typed).toBe('94038');
    }
    expect(communes.search('villeneuve d ascq', 3)[0]?.inseeCode).toBe('59009');
    expect(communes.search('villeneuve dascq', 3)[0]?.inseeCode).toBe('59009');
  });

  it('finds a former commune by its name, with the commune nouvelle’s INSEE code', () => {
    const tourlaville = communes.search('tourlaville', 10).find((c) => c.formerName === 'Tourlaville');
    expect(tourlaville).toBeDefined();
    expect(tourlaville!.inseeCode).toBe('50129'); // Cherbourg-en-Cotentin
    expect(communeLabel(tourlaville!)).toBe('Tourlaville (Cherbourg-en-Cotentin)');
    expect(communes.labelsOf('50129')).toContain('Tourlaville (Cherbourg-en-Cotentin)');
    // A current commune of the same rank comes before a former one: "Octeville-l'Avenel" before "Cherbourg-Octeville".
    const hits = communes.search('octeville', 10);
    const current = hits.findIndex((c) => c.inseeCode === '50384');
    const former = hits.findIndex((c) => c.formerName === 'Cherbourg-Octeville');
    expect(current).toBeGreaterThanOrEqual(0);
    expect(former).toBeGreaterThan(current);
  });

  it('still knows a city recorded whole (Paris 75056) for cases written before arrondissements', () => {
    expect(communes.byInseeCode('75056')?.name).toBe('Paris');
    expect(communes.byInseeCode('75115')?.cityInseeCode).toBe('75056');
  });

  it('puts the department’s communes first and keeps the old prefix rules (st = saint)', () => {
    expect(communes.search('st etienne', 1)[0]?.inseeCode).toBe('42218');
    expect(communes.search('dijo', 1, '21')[0]?.inseeCode).toBe('21231');
  });
});
