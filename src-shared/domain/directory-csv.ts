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
 */
import Papa from 'papaparse';
import { TZDate } from '@date-fns/tz';
import type { z } from 'zod';
import { DirectoryRowSchemas, type DirectoryImport, type DirectoryKind, type OnCall, type Sector } from '../schemas/directory.js';
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
};
const OPTIONAL = new Set(['rpps']);

/** Header as typed ("Début", "TÉLÉPHONE ", "Code INSEE") → our column name. */
function columnOf(header: string): string {
  const k = searchKey(header).toLowerCase().replace(/ /g, '');
  if (k === 'codeinsee') return 'insee';
  if (k === 'codesecteur') return 'secteur';
  return k;
}

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
  const unknown = fields.filter((f) => !expected.includes(f));
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

  const rows: unknown[] = [];
  const sectors = new Map<string, Sector & { line: number }>();
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
        if (problems.length === 0) {
          if (s) s.communes.push(commune);
          else sectors.set(code, { code, name: r.nom ?? '', communes: [commune], line });
        }
        row = { code, name: r.nom ?? '', communes: [commune] };
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
    if (problems.length === 0) {
      const checked = DirectoryRowSchemas[kind].safeParse(row);
      if (!checked.success) problems.push(zodMessages(checked.error));
    }
    if (problems.length) lineErrors(line, problems);
    else if (kind !== 'sectors') rows.push(row);
  });
  if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  const value = kind === 'sectors' ? [...sectors.values()].map(({ line: _line, ...s }) => s) : rows;
  return { ok: true, value: { kind, rows: value } as DirectoryImport };
}
