import { z } from 'zod';

export const CommuneSchema = z.strictObject({
  inseeCode: z.string(),
  name: z.string(),
  departmentCode: z.string(),
  departmentName: z.string(),
  postalCodes: z.array(z.string()),
  population: z.number().int().nullable(),
  /** The postal code this answer stands for (the one typed, or one of the commune's). */
  postalCode: z.string().regex(/^\d{5}$/).optional(),
  /** A former commune merged into this one (commune déléguée or associée), as callers still name it. */
  formerName: z.string().optional(),
  /** An arrondissement of Paris, Lyon or Marseille: its city's INSEE code. */
  cityInseeCode: z.string().optional(),
});
export type Commune = z.infer<typeof CommuneSchema>;

export const DepartmentSchema = z.strictObject({ code: z.string(), name: z.string(), region: z.string() });
export type Department = z.infer<typeof DepartmentSchema>;

/** A department's PDSA rules, set by its admin (the ARS's decisions): when Saturday's PDSA starts, bridge days. */
export const PdsaRulesSchema = z.strictObject({
  saturdayStartHour: z.number().int().min(8, 'heure de début du samedi : entre 8 h et 20 h').max(20, 'heure de début du samedi : entre 8 h et 20 h'),
  bridgeDays: z.array(z.iso.date('jour de pont : date AAAA-MM-JJ')).max(60, '60 jours de pont au plus'),
  autoBridgeDays: z.boolean(),
});
export type PdsaRules = z.infer<typeof PdsaRulesSchema>;

export const PdsaStatusSchema = z.strictObject({
  inPdsa: z.boolean(),
  department: z.string(),
  timeZone: z.string(),
  localTime: z.string(),
  period: z
    .strictObject({
      kind: z.enum(['night', 'saturday_afternoon', 'sunday', 'public_holiday', 'bridge_day']),
      label: z.string(),
      start: z.number(),
      end: z.number(),
      localStart: z.string(),
      localEnd: z.string(),
      holidayName: z.string().optional(),
    })
    .nullable(),
});
