/**
 * What of a screening form can be recorded now, field by field: one invalid field (a callback
 * number "123", a birth date in the future, a text too long) must not keep the others of its
 * section from being saved. Each invalid field is left out of what is sent, stays in the form, and
 * gets a French message shown on the field itself. The core checks the same rules again.
 */
import type { z } from 'zod';
import { ScreeningFieldsSchema, type ScreeningFields } from '../schemas/case.js';
import { canonicalPhone } from '../text/phone.js';

/** A field's path in the form: "callbackPhone", "patient.birthDate", "location.address". */
export type FieldPath = string;

export interface ScreeningCheck {
  /** Every field that can be recorded as it is. */
  valid: ScreeningFields;
  /** One French message per invalid field. */
  problems: Record<FieldPath, string>;
}

/** The longest text each free-text field takes (the schema's limits, shown on the fields). */
export const TEXT_LIMITS = {
  'patient.lastName': 100,
  'patient.firstName': 100,
  'caller.name': 100,
  'location.address': 300,
  'location.accessNotes': 500,
  reasonText: 500,
  'treatingDoctor.name': 150,
} as const satisfies Record<FieldPath, number>;

/** zod's own (English) messages, never shown to a user. */
const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Unrecognized|Expected|Required|Number must|String must)/;

/** A zod issue said in French for a user (never zod's own English). */
export function frenchIssue(issue: z.core.$ZodIssue): string {
  // A message written for users in the schema ("la note est vide", "code postal à 5 chiffres") is kept.
  if (issue.message && !ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string' ? `${String(issue.maximum)} caractères au plus` : `${String(issue.maximum)} au plus`;
    case 'too_small':
      return issue.origin === 'string' ? (Number(issue.minimum) <= 1 ? 'à renseigner' : `${String(issue.minimum)} caractères au moins`) : `${String(issue.minimum)} au moins`;
    case 'invalid_format':
      return issue.format === 'date' ? 'date invalide' : 'format invalide';
    case 'invalid_value':
      return 'valeur non prévue';
    case 'invalid_type':
      return 'valeur invalide';
    case 'unrecognized_keys':
      return `champ non prévu : ${issue.keys.join(', ')}`;
    default:
      return 'valeur invalide';
  }
}

function checkOne(schema: z.ZodType, value: unknown): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : frenchIssue(r.error.issues[0]!);
}

/** Today's date (YYYY-MM-DD) where the workstation is, for "not in the future". */
export function isoToday(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

export function checkScreeningFields(fields: Record<string, unknown>, today: string): ScreeningCheck {
  const shape = ScreeningFieldsSchema.shape as Record<string, z.ZodType>;
  const valid: Record<string, unknown> = {};
  const problems: Record<FieldPath, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    const schema = shape[key];
    if (!schema) continue;
    if (value === undefined) {
      valid[key] = value;
      continue;
    }
    if (key === 'callbackPhone' && typeof value === 'string' && value.trim() !== '' && canonicalPhone(value) === null) {
      problems[key] = 'numéro invalide (10 chiffres, ou +indicatif)';
      continue;
    }
    const inner = objectShape(schema);
    if (inner && value && typeof value === 'object' && !Array.isArray(value)) {
      // An object field (patient, location, caller…): keep its valid parts.
      const kept: Record<string, unknown> = {};
      for (const [sub, subValue] of Object.entries(value)) {
        const path = `${key}.${sub}`;
        const subSchema = inner[sub];
        const problem = !subSchema ? 'champ inconnu' : subValue === undefined ? null : checkOne(subSchema, subValue);
        if (problem) problems[path] = problem;
        else if (path === 'patient.birthDate' && typeof subValue === 'string' && subValue > today) problems[path] = 'date dans le futur';
        else kept[sub] = subValue;
      }
      // What is left must still make a whole object (a caller needs its relationship, a doctor a name).
      const problem = checkOne(schema, kept);
      if (problem === null) valid[key] = kept;
      else if (!Object.keys(problems).some((p) => p.startsWith(`${key}.`))) problems[key] = problem;
      continue;
    }
    const problem = checkOne(schema, value);
    if (problem) problems[key] = problem;
    else valid[key] = value;
  }
  return { valid: valid as ScreeningFields, problems };
}

/** The object schema under an optional wrapper, if any. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: unknown = schema;
  for (let i = 0; i < 3 && s; i++) {
    const def = (s as { def?: { type?: string; innerType?: unknown; shape?: Record<string, z.ZodType> } }).def;
    if (!def) return null;
    if (def.type === 'object' && def.shape) return def.shape;
    if (def.type === 'optional' || def.type === 'nullable') s = def.innerType;
    else return null;
  }
  return null;
}
