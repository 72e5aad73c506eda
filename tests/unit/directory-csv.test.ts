import { describe, expect, it } from 'vitest';
import { parseDirectoryCsv, parseLocalDateTime, type DirectoryCsvContext } from '../../src-shared/domain/directory-csv.js';
import { rppsOf } from '../fixtures/effectors.js';

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
    const csv = `secteur,debut,fin,medecin,telephone,rpps,mode\nDIJ,24/10/2026 20:00,25/10/2026 08:00,Dr Lambert,06 11 22 33 44,${rppsOf(7)},Visites et consultations\nBEA,25/10/2026 08:00,25/10/2026 20:00,Dr Roux,0380112233,,consultation`;
    const r = parseDirectoryCsv('onCall', csv, ctx());
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'onCall') return;
    const [night, sunday] = r.value.rows;
    // The night of the change to winter time lasts 13 hours.
    expect((night!.end - night!.start) / 3600_000).toBe(13);
    expect(night).toMatchObject({ sectorCode: 'DIJ', doctorName: 'Dr Lambert', phone: '+33611223344', rpps: rppsOf(7), mode: 'both' });
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
      'DIJ;01/03/2026 20:00;02/03/2026 08:00;Dr G;0611223344;12345;visite',
      'DIJ;01/03/2026 20:00;02/03/2026 08:00;Dr H;0611223344;12345678901;visite',
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
    expect(byLine[8]).toContain('RPPS : 11 chiffres');
    expect(byLine[9]).toContain('RPPS invalide (clé de contrôle)');
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

describe('effectors and structures CSV import', () => {
  const rpps1 = rppsOf(1);
  const rpps2 = rppsOf(2);
  const HEAD = 'rpps;adeli;nom;prenom;profession;specialite;telephone;secteurs;structures;cascade;agenda;garde;surnombre;visites;consultations;lieu;lieu_type;lieu_nom;lieu_adresse;lieu_insee;lieu_lat;lieu_lon';
  const line = (over: Record<string, string> = {}) => {
    const v: Record<string, string> = {
      rpps: rpps1, adeli: '', nom: 'Martin', prenom: 'Claire', profession: 'Médecin', specialite: 'SM54', telephone: '06 11 22 33 44',
      secteurs: 'DIJ BEA', structures: '210780581', cascade: 'oui', agenda: 'oui', garde: 'non', surnombre: 'oui', visites: 'oui',
      consultations: 'oui', lieu: 'cab', lieu_type: 'cabinet', lieu_nom: 'Cabinet Martin', lieu_adresse: '3 rue Monge', lieu_insee: '21231',
      lieu_lat: '47,3216', lieu_lon: '5.0415', ...over,
    };
    return HEAD.split(';').map((k) => v[k]).join(';');
  };
  const withStructures = { ...ctx(), structureIds: new Set(['210780581']) };

  it('reads one line per place: a doctor’s next line adds a place', () => {
    const csv = [HEAD, line(), line({ lieu: 'mmg', lieu_type: 'mmg', lieu_nom: 'MMG du CHU', lieu_adresse: '14 rue Gaffarel', lieu_lat: '', lieu_lon: '' }), line({ rpps: rpps2, nom: 'Durand', secteurs: 'BEA', structures: '' })].join('\n');
    const r = parseDirectoryCsv('effectors', csv, withStructures);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'effectors') return;
    expect(r.value.rows).toHaveLength(2);
    const [a, b] = r.value.rows;
    expect(a).toMatchObject({ id: rpps1, phone: '+33611223344', sectors: ['DIJ', 'BEA'], structures: ['210780581'], participation: { cascade: true, onCallRota: false, surnombre: true } });
    expect(a!.places).toEqual([
      { id: 'cab', kind: 'cabinet', name: 'Cabinet Martin', address: '3 rue Monge', inseeCode: '21231', lat: 47.3216, lon: 5.0415 },
      { id: 'mmg', kind: 'mmg', name: 'MMG du CHU', address: '14 rue Gaffarel', inseeCode: '21231' },
    ]);
    expect(b!.structures).toEqual([]);
  });

  it('refuses the file with one message per bad line, and imports nothing', () => {
    const csv = [
      HEAD,
      line(),
      line({ rpps: '10000000001' }), // bad key
      line({ rpps: rpps2, secteurs: 'XXX' }), // unknown sector
      line({ rpps: rpps2, telephone: 'abc', cascade: 'peut-être' }),
      line({ nom: 'Autre' }), // same doctor described otherwise
      line({ rpps: '', adeli: '' }), // no identifier
      line({ rpps: rppsOf(3), structures: '123' }), // unknown structure
      line({ rpps: rppsOf(4), lieu_type: 'hôpital' }),
    ].join('\n');
    const r = parseDirectoryCsv('effectors', csv, withStructures);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([...new Set(r.errors.map((e) => e.line))]).toEqual([3, 4, 5, 6, 7, 8, 9]);
    const text = (l: number) => r.errors.filter((e) => e.line === l).map((e) => e.message).join(' | ');
    expect(text(3)).toContain('RPPS invalide');
    expect(text(4)).toContain('secteur inconnu : « XXX »');
    expect(text(5)).toContain('téléphone invalide');
    expect(text(5)).toContain('cascade : « peut-être » (oui ou non)');
    expect(text(6)).toContain('décrit autrement ligne 2');
    expect(text(7)).toContain('RPPS, ou ADELI seulement sans RPPS');
    expect(text(8)).toContain('structure inconnue');
    expect(text(9)).toContain('type de lieu inconnu');
  });

  it('reads structures with a FINESS or a SIRET; sectors may name their neighbours', () => {
    const r = parseDirectoryCsv('structures', 'finess;siret;type;nom;insee\n210780581;;cpts;CPTS Dijon;21231\n;73282932000074;MSP;MSP Beaune;21054\n;123;CDS;Mauvais;21231\n', ctx());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([{ line: 4, message: expect.stringContaining('SIRET invalide') }]);
    const s = parseDirectoryCsv('sectors', 'secteur;nom;insee;voisins\nDIJ;Dijon;21231;BEA\nBEA;Beaune;21054;DIJ\nBEA;Beaune;21425;\n', ctx());
    expect(s.ok && s.value.rows).toEqual([
      { code: 'DIJ', name: 'Dijon', communes: ['21231'], adjacent: ['BEA'] },
      { code: 'BEA', name: 'Beaune', communes: ['21054', '21425'], adjacent: ['DIJ'] },
    ]);
    const bad = parseDirectoryCsv('sectors', 'secteur;nom;insee;voisins\nDIJ;Dijon;21231;NOPE\n', ctx());
    expect(!bad.ok && bad.errors[0]!.message).toContain('voisins inconnus de DIJ : NOPE');
  });
});
