import { z } from 'zod';

/** Every id in Permanence is a UUID (v7 when we generate it: time-ordered keys load faster). */
export const IdSchema = z.uuid();
/** Milliseconds since the epoch (UTC). Client clocks are recorded, never used for ordering. */
export const EpochMsSchema = z.number().int().nonnegative();
export const IsoDateSchema = z.iso.date();
/** Short free text fields keep a hard limit so a pasted document cannot bloat a record. */
export const shortText = (max = 200) => z.string().trim().max(max);
export const InseeCodeSchema = z.string().regex(/^(\d{2}|2A|2B)\d{3}$/, 'code INSEE invalide');
export const DepartmentCodeSchema = z.string().regex(/^(\d{2}|2A|2B|97[1-6])$/, 'département invalide');
