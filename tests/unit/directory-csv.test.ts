import { describe, expect, it } from 'vitest';
import { parseDirectoryCsv, parseLocalDateTime, type DirectoryCsvContext } from '../../src-shared/domain/directory-csv.js';

const COMMUNES: Record<string, string> = { '21231': '21', '21054': '21', '21425': '21', '71076': '71' };
const ctx = (sectorCodes: string[] = ['DIJ', 'BEA']): DirectoryCsvContext => ({
  timeZone: 'Europe/Paris',
  department: '21',
  communeDepartment: (insee) => COMMUNES[insee],
  sectorCodes: new Set(sectorCodes),
});

describe('duty directory CSV import', () => {
  it('reads sectors, one line per commune, with French headers in any case and ";" separators', () => {
    const csv = '\uFEFFSecteur;Nom;Code INSEE\nDIJ;Dijon agglomération;21231\nDIJ;Dijon agglomération;21425\nBEA;Beaune;21054\n';
    const r = parseDirectoryCsv('sectors', csv, ctx());
    expect(r.ok && r.value).toEqual({
      kind: 'sectors',
      rows: [
        { code: 'DIJ', name: 'Dijon agglomération', communes: ['21231', '21425'] },
        { code: 'BEA', name: 'Beaune', communes: ['21054'] },
      ],
    });
  });

  it('refuses the whole file with one message per bad line, naming the line', () => {
    const csv = [
      'secteur;nom;insee',
      'DIJ;Dijon;21231',
      'DIJ;Autre nom;21425', // same code, other name
      'BEA;Beaune;99999', // unknown commune
      'CHA;Chalon;71076', // outside the department
      'BEA;Beaune;21231', // already in DIJ
    ].join('\n');
    const r = parseDirectoryCsv('sectors', csv, ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(r.errors[0]!.message).toContain('a déjà le nom « Dijon » (ligne 2)');
    expect(r.errors[1]!.message).toContain('commune inconnue');
    expect(r.errors[2]!.message).toContain('n’est pas dans le département 21');
    expect(r.errors[3]!.message).toContain('déjà dans le secteur DIJ');
  });

  it('reads the rota on the department’s clock, across the DST change, with modes in French', () => {
    const csv = 'secteur,debut,fin,medecin,telephone,rpps,mode\nDIJ,24/10/2026 20:00,25/10/2026 08:00,Dr Lambert,06 11 22 33 44,10101010101,Visites et consultations\nBEA,25/10/2026 08:00,25/10/2026 20:00,Dr Roux,0380112233,,consultation';
    const r = parseDirectoryCsv('onCall', csv, ctx());
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'onCall') return;
    const [night, sunday] = r.value.rows;
    // The night of the change to winter time lasts 13 hours.
    expect((night!.end - night!.start) / 3600_000).toBe(13);
    expect(night).toMatchObject({ sectorCode: 'DIJ', doctorName: 'Dr Lambert', phone: '+33611223344', rpps: '10101010101', mode: 'both' });
    expect(sunday).toMatchObject({ mode: 'consultation', phone: '+33380112233' });
    expect(sunday!.rpps).toBeUndefined();
  });

  it('says what is wrong in a rota line: date, order, phone, mode, unknown sector, RPPS', () => {
    const csv = [
      'secteur;debut;fin;medecin;telephone;rpps;mode',
      'DIJ;31/02/2026 20:00;01/03/2026 08:00;Dr A;0611223344;;visite',
      'DIJ;01/03/2026 20:00;01/03/2026 08:00;Dr B;0611223344;;visite',
      'DIJ;01/03/2026 20:00;02/03/2026 08:00;Dr C;12;;visite',
      'DIJ;01/03/2026 20:00;02/03/2026 08:00;Dr D;0611223344;;téléconsultation',
      'XYZ;01/03/2026 20:00;02/03/2026 08:00;Dr E;0611223344;;visite',
      'DIJ;01/03/2026 20:00;02/03/2026 08:00;Dr F;0611223344;123;visite',
    ].join('\n');
    const r = parseDirectoryCsv('onCall', csv, ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byLine = Object.fromEntries(r.errors.map((e) => [e.line, e.message]));
    expect(byLine[2]).toContain('début invalide');
    expect(byLine[3]).toContain('la fin de garde doit suivre le début');
    expect(byLine[4]).toContain('téléphone invalide');
    expect(byLine[5]).toContain('mode inconnu');
    expect(byLine[6]).toContain('secteur inconnu');
    expect(byLine[7]).toContain('RPPS');
  });

  it('refuses a file with missing or unknown columns, or no data', () => {
    const missing = parseDirectoryCsv('pharmacies', 'nom;adresse;insee\nPharmacie;1 rue;21231', ctx());
    expect(!missing.ok && missing.errors[0]).toMatchObject({ line: 1 });
    expect(!missing.ok && missing.errors[0]!.message).toContain('colonnes manquantes : telephone, debut, fin');
    const unknown = parseDirectoryCsv('mmgs', 'nom;adresse;insee;telephone;horaires;couleur\nM;1 rue;21231;0380000000;20h-24h;bleu', ctx());
    expect(!unknown.ok && unknown.errors[0]!.message).toContain('colonnes inconnues : couleur');
    const empty = parseDirectoryCsv('mmgs', 'nom;adresse;insee;telephone;horaires\n', ctx());
    expect(!empty.ok && empty.errors[0]!.message).toBe('aucune ligne de données');
  });

  it('reads pharmacies and maisons médicales de garde', () => {
    const ph = parseDirectoryCsv('pharmacies', 'nom;adresse;insee;telephone;debut;fin\nPharmacie du Centre;2 place Darcy;21231;03 80 30 00 00;24/12/2026 19:00;25/12/2026 09:00', ctx());
    expect(ph.ok && ph.value.rows).toHaveLength(1);
    const mmg = parseDirectoryCsv('mmgs', 'nom;adresse;insee;telephone;horaires\nMMG de Dijon;5 bd de Champagne;21231;0380400000;semaine 20h-24h, week-end 8h-24h', ctx());
    expect(mmg.ok && mmg.value.rows[0]).toMatchObject({ name: 'MMG de Dijon', phone: '+33380400000' });
  });

  it('parses wall-clock times and refuses impossible ones', () => {
    expect(parseLocalDateTime('24/12/2026 20h00', 'Europe/Paris')).toBe(Date.UTC(2026, 11, 24, 19, 0));
    expect(parseLocalDateTime('24/12/2026 20:00', 'Indian/Reunion')).toBe(Date.UTC(2026, 11, 24, 16, 0));
    expect(parseLocalDateTime('29/02/2026 10:00', 'Europe/Paris')).toBeNull();
    expect(parseLocalDateTime('2026-12-24 20:00', 'Europe/Paris')).toBeNull();
  });
});
