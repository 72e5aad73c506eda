import { describe, expect, it } from 'vitest';
import { mmgsNear, onCallAt, pharmaciesAt } from '../../src-shared/domain/duty.js';
import { EMPTY_DIRECTORY, type Directory } from '../../src-shared/schemas/directory.js';

const H = 3600_000;
const T = Date.UTC(2026, 11, 24, 21, 0);
const dir: Directory = {
  ...EMPTY_DIRECTORY,
  version: 3,
  onCall: [
    { sectorCode: 'BEA', start: T - 2 * H, end: T + 10 * H, doctorName: 'Dr Roux', phone: '+33611111111', mode: 'both' },
    { sectorCode: 'DIJ', start: T - 2 * H, end: T + 11 * H, doctorName: 'Dr Lambert', phone: '+33622222222', mode: 'visit' },
    { sectorCode: 'DIJ', start: T + 11 * H, end: T + 23 * H, doctorName: 'Dr Demain', phone: '+33633333333', mode: 'visit' },
    { sectorCode: 'DIJ', start: T - 14 * H, end: T - 2 * H, doctorName: 'Dr Hier', phone: '+33644444444', mode: 'visit' },
  ],
  pharmacies: [
    { name: 'Pharmacie B', address: 'x', inseeCode: '21054', phone: '+33380000001', start: T - H, end: T + H },
    { name: 'Pharmacie A', address: 'x', inseeCode: '21231', phone: '+33380000002', start: T - H, end: T + H },
    { name: 'Pharmacie fermée', address: 'x', inseeCode: '21231', phone: '+33380000003', start: T + H, end: T + 2 * H },
  ],
  mmgs: [
    { name: 'MMG Beaune', address: 'x', inseeCode: '21054', phone: '+33380000004', hours: '20h-24h' },
    { name: 'MMG Dijon', address: 'x', inseeCode: '21231', phone: '+33380000005', hours: '20h-24h' },
  ],
};

describe('who is on duty', () => {
  it('on-call doctors at a moment, the case’s sector first; the start is included, the end is not', () => {
    expect(onCallAt(dir, T, 'DIJ').map((x) => [x.doctor.doctorName, x.inSector])).toEqual([
      ['Dr Lambert', true],
      ['Dr Roux', false],
    ]);
    expect(onCallAt(dir, T + 11 * H, 'DIJ').map((x) => x.doctor.doctorName)).toEqual(['Dr Demain']);
    expect(onCallAt(dir, T - 2 * H).map((x) => x.doctor.doctorName)).toEqual(['Dr Roux', 'Dr Lambert']);
  });

  it('pharmacies on duty now, the patient’s commune first; MMGs likewise', () => {
    expect(pharmaciesAt(dir, T, '21054').map((p) => p.name)).toEqual(['Pharmacie B', 'Pharmacie A']);
    expect(pharmaciesAt(dir, T).map((p) => p.name)).toEqual(['Pharmacie A', 'Pharmacie B']);
    expect(mmgsNear(dir, '21231').map((m) => m.name)).toEqual(['MMG Dijon', 'MMG Beaune']);
  });
});
