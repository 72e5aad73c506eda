import { z } from 'zod';

export const CommuneSchema = z.strictObject({
  inseeCode: z.string(),
  name: z.string(),
  departmentCode: z.string(),
  departmentName: z.string(),
  postalCodes: z.array(z.string()),
  population: z.number().int().nullable(),
});
export type Commune = z.infer<typeof CommuneSchema>;

export const DepartmentSchema = z.strictObject({ code: z.string(), name: z.string(), region: z.string() });
export type Department = z.infer<typeof DepartmentSchema>;

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
