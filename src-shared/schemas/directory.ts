/**
 * The duty directory a center's regulators decide with: sectors of the department (groups of
 * communes), the on-call rota per sector and period, duty pharmacies and maisons médicales de
 * garde. Maintained by an admin (CSV import), synced to every workstation, usable offline.
 */
import { z } from 'zod';
import { EpochMsSchema, InseeCodeSchema, shortText } from './primitives.js';
import { EffectorSchema, StructureSchema } from './effectors.js';
import { isRpps } from '../domain/identifiers.js';

export const DIRECTORY_KINDS = ['sectors', 'onCall', 'pharmacies', 'mmgs', 'structures', 'effectors'] as const;
export type DirectoryKind = (typeof DIRECTORY_KINDS)[number];
export const DirectoryKindSchema = z.enum(DIRECTORY_KINDS);
export const DIRECTORY_KIND_LABELS: Record<DirectoryKind, string> = {
  sectors: 'Secteurs de garde',
  onCall: 'Tableau de garde des médecins',
  pharmacies: 'Pharmacies de garde',
  mmgs: 'Maisons médicales de garde',
  structures: 'Structures (CPTS, MSP, centres de santé, SOS Médecins)',
  effectors: 'Médecins effecteurs',
};

/** A canonical (E.164) phone number. */
const CanonicalPhoneSchema = z.string().regex(/^\+\d{8,15}$/, 'numéro de téléphone invalide');

export const SectorSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'code de secteur : lettres, chiffres ou tirets (20 au plus)'),
  name: shortText(100).min(1, 'nom du secteur requis'),
  communes: z.array(InseeCodeSchema).min(1),
  /** Codes of the neighbouring sectors (the cascade and the agenda search look there next). */
  adjacent: z.array(z.string().min(1).max(20)).max(50).optional(),
});
export type Sector = z.infer<typeof SectorSchema>;

export const ON_CALL_MODES = ['visit', 'consultation', 'both'] as const;
export const ON_CALL_MODE_LABELS: Record<(typeof ON_CALL_MODES)[number], string> = {
  visit: 'visites',
  consultation: 'consultations',
  both: 'visites et consultations',
};

export const OnCallSchema = z
  .strictObject({
    sectorCode: z.string().min(1).max(20),
    start: EpochMsSchema,
    end: EpochMsSchema,
    doctorName: shortText(100).min(1, 'nom du médecin requis'),
    phone: CanonicalPhoneSchema,
    // 11 digits whose last is the Luhn key of the others: a typo in an RPPS is caught at import.
    rpps: z.string().regex(/^\d{11}$/, 'RPPS : 11 chiffres').refine(isRpps, 'RPPS invalide (clé de contrôle)').optional(),
    mode: z.enum(ON_CALL_MODES),
  })
  .refine((o) => o.end > o.start, { message: 'la fin de garde doit suivre le début', path: ['end'] });
export type OnCall = z.infer<typeof OnCallSchema>;

export const PharmacySchema = z
  .strictObject({
    name: shortText(150).min(1, 'nom de la pharmacie requis'),
    address: shortText(300).min(1, 'adresse requise'),
    inseeCode: InseeCodeSchema,
    phone: CanonicalPhoneSchema,
    start: EpochMsSchema,
    end: EpochMsSchema,
  })
  .refine((o) => o.end > o.start, { message: 'la fin de garde doit suivre le début', path: ['end'] });
export type Pharmacy = z.infer<typeof PharmacySchema>;

export const MmgSchema = z.strictObject({
  name: shortText(150).min(1, 'nom de la maison médicale requis'),
  address: shortText(300).min(1, 'adresse requise'),
  inseeCode: InseeCodeSchema,
  phone: CanonicalPhoneSchema,
  hours: shortText(300).min(1, 'horaires requis'),
});
export type Mmg = z.infer<typeof MmgSchema>;

export const DirectoryRowSchemas = {
  sectors: SectorSchema,
  onCall: OnCallSchema,
  pharmacies: PharmacySchema,
  mmgs: MmgSchema,
  structures: StructureSchema,
  effectors: EffectorSchema,
} as const;

/** At most this many rows per kind (a department has tens of sectors, hundreds of rota lines). */
export const MAX_DIRECTORY_ROWS = 20_000;

export const DirectorySchema = z.strictObject({
  /** Bumped by the server at every import; 0 = nothing yet. */
  version: z.number().int().nonnegative(),
  sectors: z.array(SectorSchema).max(MAX_DIRECTORY_ROWS),
  onCall: z.array(OnCallSchema).max(MAX_DIRECTORY_ROWS),
  pharmacies: z.array(PharmacySchema).max(MAX_DIRECTORY_ROWS),
  mmgs: z.array(MmgSchema).max(MAX_DIRECTORY_ROWS),
  structures: z.array(StructureSchema).max(MAX_DIRECTORY_ROWS),
  effectors: z.array(EffectorSchema).max(MAX_DIRECTORY_ROWS),
});
export type Directory = z.infer<typeof DirectorySchema>;
export const EMPTY_DIRECTORY: Directory = { version: 0, sectors: [], onCall: [], pharmacies: [], mmgs: [], structures: [], effectors: [] };

/** The directory from its stored rows (one per kind, as the server and the cache keep it). */
export function directoryFromRows(rows: readonly { kind: DirectoryKind; version: number; data: string }[]): Directory {
  const dir: Directory = { ...EMPTY_DIRECTORY };
  for (const r of rows) {
    dir.version = Math.max(dir.version, Number(r.version));
    (dir as Record<DirectoryKind, unknown>)[r.kind] = JSON.parse(r.data);
  }
  return dir;
}

/** An import of one kind: rows replace that kind entirely (all or nothing). */
export const DirectoryImportSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sectors'), rows: z.array(SectorSchema).max(MAX_DIRECTORY_ROWS) }),
  z.strictObject({ kind: z.literal('onCall'), rows: z.array(OnCallSchema).max(MAX_DIRECTORY_ROWS) }),
  z.strictObject({ kind: z.literal('pharmacies'), rows: z.array(PharmacySchema).max(MAX_DIRECTORY_ROWS) }),
  z.strictObject({ kind: z.literal('mmgs'), rows: z.array(MmgSchema).max(MAX_DIRECTORY_ROWS) }),
  z.strictObject({ kind: z.literal('structures'), rows: z.array(StructureSchema).max(MAX_DIRECTORY_ROWS) }),
  z.strictObject({ kind: z.literal('effectors'), rows: z.array(EffectorSchema).max(MAX_DIRECTORY_ROWS) }),
]);
export type DirectoryImport = z.infer<typeof DirectoryImportSchema>;
