/**
 * CSV import of the duty directory, as an admin exports it from a spreadsheet (French headers,
 * ";" or "," separators, dates "JJ/MM/AAAA HH:MM" on the department's wall clock). Every line is
 * checked; any bad line refuses the whole file with one French message per line, so that nothing
 * half-imported reaches the regulators.
 *
 *   sectors     secteur;nom;insee                                (one line per commune)
 *   onCall      secteur;debut;fin;medecin;telephone;rpps;mode    (mode: visite | consultation | les deux)
 *   pharmacies  nom;adresse;insee;telephone;debut;fin
 *   mmgs        nom;adresse;insee;telephone;horaires
 *   structures  finess;siret;type;nom;insee                      (type: CPTS, MSP, CDS, SOS)
 *   effectors   rpps;adeli;nom;prenom;profession;specialite;telephone;secteurs;structures;
 *               cascade;agenda;garde;surnombre;visites;consultations;
 *               lieu;lieu_type;lieu_nom;lieu_adresse;lieu_insee;lieu_lat;lieu_lon
 *               (one line per place of practice: a doctor's next lines repeat the doctor and add
 *               a place; lists separated by spaces or commas; yes/no as oui/non)
 * Sectors may name their neighbours in an optional column "voisins" (codes).
 */
import Papa from 'papaparse';
import { TZDate } from '@date-fns/tz';
import type { z } from 'zod';
import { DirectoryRowSchemas, type DirectoryImport, type DirectoryKind, type OnCall, type Sector } from '../schemas/directory.js';
import { EffectorSchema, PLACE_KINDS, PROFESSIONS, STRUCTURE_KINDS, type Effector, type Place } from '../schemas/effectors.js';
import { canonicalPhone } from '../text/phone.js';
import { searchKey } from '../text/normalize.js';

export interface DirectoryCsvContext {
  /** The department's time zone: dates in the file are its wall-clock times. */
  timeZone: string;
  department: string;
  /** The department a commune (INSEE code) belongs to, or undefined for an unknown code. */
  communeDepartment(insee: string): string | undefined;
  /** Sector codes known (for the rota): those of the file being imported with it, or the directory's. */
  sectorCodes: ReadonlySet<string>;
  /** Structure ids known (for effectors). */
  structureIds?: ReadonlySet<string>;
}

export interface LineError {
  /** 1 = the header line. */
  line: number;
  message: string;
}

export type CsvImportResult = { ok: true; value: DirectoryImport } | { ok: false; errors: LineError[] };

export const CSV_COLUMNS: Record<DirectoryKind, readonly string[]> = {
  sectors: ['secteur', 'nom', 'insee'],
  onCall: ['secteur', 'debut', 'fin', 'medecin', 'telephone', 'rpps', 'mode'],
  pharmacies: ['nom', 'adresse', 'insee', 'telephone', 'debut', 'fin'],
  mmgs: ['nom', 'adresse', 'insee', 'telephone', 'horaires'],
  structures: ['finess', 'siret', 'type', 'nom', 'insee'],
  effectors: [
    'rpps', 'adeli', 'nom', 'prenom', 'profession', 'specialite', 'telephone', 'secteurs', 'structures',
    'cascade', 'agenda', 'garde', 'surnombre', 'visites', 'consultations',
    'lieu', 'lieu_type', 'lieu_nom', 'lieu_adresse', 'lieu_insee', 'lieu_lat', 'lieu_lon',
  ],
};
/** Columns that may be left out of the file altogether. */
const OPTIONAL = new Set(['rpps', 'adeli', 'finess', 'siret', 'structures', 'lieu_lat', 'lieu_lon', 'voisins']);
const EXTRA: Partial<Record<DirectoryKind, readonly string[]>> = { sectors: ['voisins'] };

/** Header as typed ("Début", "TÉLÉPHONE ", "Code INSEE") → our column name. */
function columnOf(header: string): string {
  const k = searchKey(header).toLowerCase().replace(/[\s_-]/g, '');
  if (k === 'codeinsee') return 'insee';
  if (k === 'codesecteur') return 'secteur';
  return KNOWN_COLUMNS.get(k) ?? k;
}
/** "lieu_type", "Lieu type", "LIEU-TYPE" → "lieu_type". */
const KNOWN_COLUMNS = new Map(
  [...Object.values(CSV_COLUMNS).flat(), ...Object.values(EXTRA).flat()].map((c) => [c.replace(/_/g, ''), c] as const),
);

/** "24/12/2026 20:00" (or "24/12/2026 20h00") on the department's clock → epoch ms. */
export function parseLocalDateTime(text: string, timeZone: string): number | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2})[:h](\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [day, month, year, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  const d = new TZDate(year, month - 1, day, hour, minute, 0, 0, timeZone);
  // 31/02 rolls over to March: refuse instead.
  if (d.getDate() !== day || d.getMonth() !== month - 1) return null;
  return d.getTime();
}

const MODES: Record<string, OnCall['mode']> = {
  visite: 'visit',
  visites: 'visit',
  consultation: 'consultation',
  consultations: 'consultation',
  lesdeux: 'both',
  visitesetconsultations: 'both',
  visiteetconsultation: 'both',
};

function zodMessages(error: z.ZodError): string {
  return error.issues.map((i) => i.message).join(' ; ');
}

export function parseDirectoryCsv(kind: DirectoryKind, text: string, ctx: DirectoryCsvContext): CsvImportResult {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    delimitersToGuess: [';', ',', '\t'],
    transformHeader: columnOf,
    transform: (v) => v.trim(),
  });
  const errors: LineError[] = [];
  const fields = (parsed.meta.fields ?? []).filter((f) => f !== '');
  const expected = CSV_COLUMNS[kind];
  const missing = expected.filter((c) => !OPTIONAL.has(c) && !fields.includes(c));
  const unknown = fields.filter((f) => !expected.includes(f) && !(EXTRA[kind] ?? []).includes(f));
  if (missing.length || unknown.length) {
    const parts = [];
    if (missing.length) parts.push(`colonnes manquantes : ${missing.join(', ')}`);
    if (unknown.length) parts.push(`colonnes inconnues : ${unknown.join(', ')}`);
    return { ok: false, errors: [{ line: 1, message: `${parts.join(' ; ')} (attendu : ${expected.join(';')})` }] };
  }
  for (const e of parsed.errors) {
    // Papaparse counts data rows from 0; the header is line 1.
    if (e.row !== undefined && e.code !== 'UndetectableDelimiter') errors.push({ line: e.row + 2, message: `ligne mal formée (${e.message})` });
  }
  if (parsed.data.length === 0) return { ok: false, errors: [{ line: 1, message: 'aucune ligne de données' }] };

  const lineErrors = (line: number, problems: string[]) => {
    for (const message of problems) errors.push({ line, message });
  };
  const phone = (v: string | undefined, problems: string[]) => {
    const p = v ? canonicalPhone(v) : null;
    if (!p) problems.push(`téléphone invalide : « ${v ?? ''} »`);
    return p ?? '';
  };
  const insee = (v: string | undefined, problems: string[]) => {
    const code = (v ?? '').toUpperCase().padStart(5, '0');
    const dep = ctx.communeDepartment(code);
    if (!dep) problems.push(`commune inconnue (code INSEE « ${v ?? ''} »)`);
    else if (dep !== ctx.department) problems.push(`la commune ${code} n’est pas dans le département ${ctx.department}`);
    return code;
  };
  const when = (v: string | undefined, what: string, problems: string[]) => {
    const t = v ? parseLocalDateTime(v, ctx.timeZone) : null;
    if (t === null) problems.push(`${what} invalide : « ${v ?? ''} » (attendu JJ/MM/AAAA HH:MM)`);
    return t ?? 0;
  };

  const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter(Boolean);
  const yesNo = (v: string | undefined, what: string, problems: string[]) => {
    const k = searchKey(v ?? '').toLowerCase();
    if (['oui', 'o', 'x', '1', 'yes', 'vrai'].includes(k)) return true;
    if (['non', 'n', '', '0', 'no', 'faux'].includes(k)) return false;
    problems.push(`${what} : « ${v} » (oui ou non)`);
    return false;
  };
  const coordinate = (v: string | undefined, what: string, problems: string[]) => {
    if (!v) return undefined;
    const n = Number(v.replace(',', '.'));
    if (!Number.isFinite(n)) problems.push(`${what} invalide : « ${v} »`);
    return n;
  };

  const rows: unknown[] = [];
  const sectors = new Map<string, Sector & { line: number }>();
  const effectors = new Map<string, { row: Effector; line: number; signature: string }>();
  parsed.data.forEach((r, i) => {
    const line = i + 2;
    const problems: string[] = [];
    let row: unknown;
    switch (kind) {
      case 'sectors': {
        const code = r.secteur ?? '';
        const commune = insee(r.insee, problems);
        const s = sectors.get(code);
        if (s && s.name !== r.nom) problems.push(`le secteur ${code} a déjà le nom « ${s.name} » (ligne ${s.line})`);
        for (const [other, o] of sectors) if (other !== code && o.communes.includes(commune)) problems.push(`la commune ${commune} est déjà dans le secteur ${other}`);
        if (s?.communes.includes(commune)) problems.push(`la commune ${commune} est en double dans le secteur ${code}`);
        const adjacent = list(r.voisins);
        if (adjacent.includes(code)) problems.push(`le secteur ${code} ne peut pas être son propre voisin`);
        if (problems.length === 0) {
          if (s) {
            s.communes.push(commune);
            if (adjacent.length) s.adjacent = [...new Set([...(s.adjacent ?? []), ...adjacent])];
          } else sectors.set(code, { code, name: r.nom ?? '', communes: [commune], ...(adjacent.length ? { adjacent } : {}), line });
        }
        row = { code, name: r.nom ?? '', communes: [commune], ...(adjacent.length ? { adjacent } : {}) };
        break;
      }
      case 'structures': {
        const type = (r.type ?? '').toUpperCase();
        if (!(STRUCTURE_KINDS as readonly string[]).includes(type)) problems.push(`type inconnu : « ${r.type ?? ''} » (CPTS, MSP, CDS ou SOS)`);
        row = {
          id: r.finess || r.siret || '',
          ...(r.finess ? { finess: r.finess } : {}),
          ...(r.siret ? { siret: r.siret } : {}),
          kind: type,
          name: r.nom ?? '',
          inseeCode: insee(r.insee, problems),
        };
        break;
      }
      case 'effectors': {
        const professionKey = searchKey(r.profession ?? '').toLowerCase();
        const profession = (Object.entries(PROFESSIONS).find(([code, label]) => code === r.profession || searchKey(label).toLowerCase() === professionKey) ?? [])[0];
        if (!profession) problems.push(`profession inconnue : « ${r.profession ?? ''} » (${Object.values(PROFESSIONS).join(', ')})`);
        const sectorList = list(r.secteurs);
        for (const c of sectorList) if (!ctx.sectorCodes.has(c)) problems.push(`secteur inconnu : « ${c} » (importez d’abord les secteurs)`);
        const structureList = list(r.structures);
        for (const c of structureList) if (ctx.structureIds && !ctx.structureIds.has(c)) problems.push(`structure inconnue : « ${c} » (importez d’abord les structures)`);
        const placeKind = searchKey(r.lieu_type ?? '').toLowerCase();
        if (!(PLACE_KINDS as readonly string[]).includes(placeKind)) problems.push(`type de lieu inconnu : « ${r.lieu_type ?? ''} » (${PLACE_KINDS.join(', ')})`);
        const lat = coordinate(r.lieu_lat, 'latitude', problems);
        const lon = coordinate(r.lieu_lon, 'longitude', problems);
        const place = {
          id: r.lieu ?? '',
          kind: placeKind,
          name: r.lieu_nom ?? '',
          address: r.lieu_adresse ?? '',
          inseeCode: insee(r.lieu_insee, problems),
          ...(lat !== undefined && lon !== undefined ? { lat, lon } : {}),
        };
        const effector = {
          id: r.rpps || r.adeli || '',
          ...(r.rpps ? { rpps: r.rpps } : {}),
          ...(r.adeli ? { adeli: r.adeli } : {}),
          lastName: r.nom ?? '',
          firstName: r.prenom ?? '',
          profession: profession ?? '10',
          specialty: r.specialite || 'SM54',
          phone: phone(r.telephone, problems),
          sectors: sectorList,
          structures: structureList,
          places: [place],
          participation: {
            cascade: yesNo(r.cascade, 'cascade', problems),
            agenda: yesNo(r.agenda, 'agenda', problems),
            onCallRota: yesNo(r.garde, 'garde', problems),
            surnombre: yesNo(r.surnombre, 'surnombre', problems),
            visits: yesNo(r.visites, 'visites', problems),
            consultations: yesNo(r.consultations, 'consultations', problems),
          },
        };
        if (problems.length === 0) {
          const checked = EffectorSchema.safeParse(effector);
          if (!checked.success) problems.push(zodMessages(checked.error));
        }
        if (problems.length === 0) {
          const { places: _places, ...who } = effector;
          const signature = JSON.stringify(who);
          const known = effectors.get(effector.id);
          if (!known) effectors.set(effector.id, { row: effector as Effector, line, signature });
          else if (known.signature !== signature) problems.push(`le professionnel ${effector.id} est décrit autrement ligne ${known.line} (seul le lieu change d’une ligne à l’autre)`);
          else if (known.row.places.some((p) => p.id === place.id)) problems.push(`le lieu « ${place.id} » de ${effector.id} est en double`);
          else known.row.places.push(place as Place);
        }
        row = effector;
        break;
      }
      case 'onCall': {
        const mode = MODES[searchKey(r.mode ?? '').toLowerCase().replace(/ /g, '')];
        if (!mode) problems.push(`mode inconnu : « ${r.mode ?? ''} » (visite, consultation ou les deux)`);
        if (r.secteur && !ctx.sectorCodes.has(r.secteur)) problems.push(`secteur inconnu : « ${r.secteur} » (importez d’abord les secteurs)`);
        row = {
          sectorCode: r.secteur ?? '',
          start: when(r.debut, 'début', problems),
          end: when(r.fin, 'fin', problems),
          doctorName: r.medecin ?? '',
          phone: phone(r.telephone, problems),
          ...(r.rpps ? { rpps: r.rpps } : {}),
          mode: mode ?? 'both',
        };
        break;
      }
      case 'pharmacies':
        row = {
          name: r.nom ?? '',
          address: r.adresse ?? '',
          inseeCode: insee(r.insee, problems),
          phone: phone(r.telephone, problems),
          start: when(r.debut, 'début', problems),
          end: when(r.fin, 'fin', problems),
        };
        break;
      case 'mmgs':
        row = { name: r.nom ?? '', address: r.adresse ?? '', inseeCode: insee(r.insee, problems), phone: phone(r.telephone, problems), hours: r.horaires ?? '' };
        break;
    }
    if (problems.length === 0 && kind !== 'effectors') {
      const checked = DirectoryRowSchemas[kind].safeParse(row);
      if (!checked.success) problems.push(zodMessages(checked.error));
    }
    if (problems.length) lineErrors(line, problems);
    else if (kind !== 'sectors' && kind !== 'effectors') rows.push(row);
  });
  if (kind === 'sectors') {
    for (const s of sectors.values()) {
      const unknownNeighbours = (s.adjacent ?? []).filter((a) => !sectors.has(a));
      if (unknownNeighbours.length) errors.push({ line: s.line, message: `voisins inconnus de ${s.code} : ${unknownNeighbours.join(', ')}` });
    }
  }
  if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  const value =
    kind === 'sectors'
      ? [...sectors.values()].map(({ line: _line, ...s }) => s)
      : kind === 'effectors'
        ? [...effectors.values()].map((e) => e.row)
        : rows;
  return { ok: true, value: { kind, rows: value } as DirectoryImport };
}
