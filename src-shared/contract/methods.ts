/**
 * The one contract between the renderer and the workstation core: dotted method names, each with an
 * input and an output schema. Types are inferred from the schemas, so no method exists without
 * validation. Adding a method = one entry here + one handler (src-main/core/handlers) + one test.
 */
import { z } from 'zod';
import { ActorSchema, CaseSummarySchema, RegulationCaseSchema, RoleSchema } from '../schemas/case.js';
import { CaseCommandSchema, CaseEventSchema } from '../schemas/case-events.js';
import { CommuneSchema, DepartmentSchema, PdsaStatusSchema } from '../schemas/reference.js';
import { DepartmentCodeSchema, IdSchema } from '../schemas/primitives.js';
import { CaseStatusSchema, LineSchema, ScreeningFieldsSchema, TrackSchema } from '../schemas/case.js';

export const SessionSchema = z.strictObject({
  actor: ActorSchema,
  department: DepartmentCodeSchema,
  workstationId: z.string(),
  startedAt: z.number(),
});
export type Session = z.infer<typeof SessionSchema>;

const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O, description: string) => ({
  input,
  output,
  description,
});

export const methods = {
  'system.info': method(
    z.strictObject({}),
    z.strictObject({
      version: z.string(),
      workstationId: z.string(),
      schemaVersion: z.number().int(),
      casesInCache: z.number().int(),
      pendingMutations: z.number().int(),
    }),
    'Version, workstation id and local cache state.',
  ),
  'session.login': method(
    z.strictObject({
      displayName: z.string().trim().min(2, 'nom trop court').max(100),
      role: RoleSchema,
      department: DepartmentCodeSchema,
    }),
    SessionSchema,
    'Open a session for a named user and role (placeholder until the server authenticates users).',
  ),
  'session.current': method(z.strictObject({}), SessionSchema.nullable(), 'The open session, if any.'),
  'session.logout': method(z.strictObject({}), z.strictObject({}), 'Close the session.'),
  'case.open': method(
    z.strictObject({ line: LineSchema, fields: ScreeningFieldsSchema.optional() }),
    RegulationCaseSchema,
    'Open a new regulation case (the core generates its id).',
  ),
  'case.command': method(
    z.strictObject({ caseId: IdSchema, command: CaseCommandSchema }),
    RegulationCaseSchema,
    'Apply a command to a case; answers the new state or a domain error.',
  ),
  'case.get': method(z.strictObject({ caseId: IdSchema }), RegulationCaseSchema, 'One case.'),
  'case.history': method(z.strictObject({ caseId: IdSchema }), z.array(CaseEventSchema), 'The event log of a case.'),
  'case.recent': method(
    z.strictObject({
      limit: z.number().int().min(1).max(500).default(50),
      statuses: z.array(CaseStatusSchema).optional(),
    }),
    z.array(CaseSummarySchema),
    'Most recently changed cases.',
  ),
  'case.search': method(
    z.strictObject({
      phone: z.string().trim().max(30).optional(),
      name: z.string().trim().max(100).optional(),
      limit: z.number().int().min(1).max(200).default(20),
    }).refine((q) => q.phone || q.name, 'numéro ou nom requis'),
    z.array(CaseSummarySchema),
    'Find cases by callback phone number or by patient name prefix.',
  ),
  'queue.list': method(
    z.strictObject({ track: TrackSchema.optional(), limit: z.number().int().min(1).max(10_000).default(5_000) }),
    z.array(CaseSummarySchema),
    'Cases waiting for regulation, by priority then waiting time.',
  ),
  'directory.searchCommunes': method(
    z.strictObject({
      query: z.string().trim().min(1).max(100),
      department: DepartmentCodeSchema.optional(),
      limit: z.number().int().min(1).max(50).default(10),
    }),
    z.array(CommuneSchema),
    'Communes by name (accents ignored) or postal code.',
  ),
  'directory.departments': method(z.strictObject({}), z.array(DepartmentSchema), 'All departments.'),
  'calendar.pdsaAt': method(
    z.strictObject({ department: DepartmentCodeSchema, at: z.number().int().optional() }),
    PdsaStatusSchema,
    'Whether an instant (default: now) is inside PDSA for a department, and which period.',
  ),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
