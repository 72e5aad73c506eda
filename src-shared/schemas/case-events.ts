import { z } from 'zod';
import { ActorSchema, CallRecordSchema, DecisionSchema, LineSchema, ScreeningFieldsSchema } from './case.js';
import { EpochMsSchema, IdSchema, shortText } from './primitives.js';

/** Commands: what a user asks the core to do to a case. Validated at every boundary. */
export const CaseCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('open'),
    line: LineSchema,
    fields: ScreeningFieldsSchema.optional(),
  }),
  z.strictObject({
    type: z.literal('update_fields'),
    /** The case version the user was looking at: a field changed since then by someone else is a conflict. */
    baseVersion: z.number().int().positive(),
    changes: ScreeningFieldsSchema,
  }),
  z.strictObject({ type: z.literal('add_note'), text: shortText(4000).min(1, 'la note est vide') }),
  z.strictObject({ type: z.literal('send_to_regulation') }),
  z.strictObject({ type: z.literal('take') }),
  z.strictObject({ type: z.literal('release') }),
  z.strictObject({ type: z.literal('decide'), decision: DecisionSchema }),
  z.strictObject({ type: z.literal('close') }),
  z.strictObject({ type: z.literal('cancel'), reason: shortText(500).min(1, 'motif d’annulation requis') }),
  z.strictObject({ type: z.literal('transfer_samu'), reason: shortText(500).min(1, 'motif du transfert requis') }),
  z.strictObject({ type: z.literal('reopen'), reason: shortText(500).min(1, 'motif de réouverture requis') }),
  z.strictObject({ type: z.literal('link_case'), linkedCaseId: IdSchema }),
  z.strictObject({ type: z.literal('record_call'), call: CallRecordSchema }),
  /** Hand a case under regulation to a colleague physician (who then holds it). */
  z.strictObject({ type: z.literal('hand_over'), to: ActorSchema }),
]);
export type CaseCommand = z.infer<typeof CaseCommandSchema>;
export type CaseCommandType = CaseCommand['type'];

/** Event payloads, one per kind. A payload is a pure function of the command that produced it. */
export const CaseEventPayloadSchemas = {
  'case.opened': z.strictObject({ line: LineSchema, fields: ScreeningFieldsSchema }),
  'case.fields_updated': z.strictObject({ changes: ScreeningFieldsSchema, baseVersion: z.number().int().positive() }),
  'case.note_added': z.strictObject({ text: z.string() }),
  'case.sent_to_regulation': z.strictObject({}),
  'case.taken': z.strictObject({}),
  'case.released': z.strictObject({}),
  'case.decided': z.strictObject({ decision: DecisionSchema }),
  'case.closed': z.strictObject({}),
  'case.cancelled': z.strictObject({ reason: z.string() }),
  'case.transferred_samu': z.strictObject({ reason: z.string() }),
  'case.reopened': z.strictObject({ reason: z.string() }),
  'case.linked': z.strictObject({ linkedCaseId: IdSchema }),
  'case.call_recorded': z.strictObject({ call: CallRecordSchema }),
  'case.handed_over': z.strictObject({ to: ActorSchema }),
} as const;
export type CaseEventKind = keyof typeof CaseEventPayloadSchemas;
export const CASE_EVENT_KINDS = Object.keys(CaseEventPayloadSchemas) as [CaseEventKind, ...CaseEventKind[]];
export type CaseEventPayload<K extends CaseEventKind> = z.infer<(typeof CaseEventPayloadSchemas)[K]>;

const eventVariant = <K extends CaseEventKind>(kind: K) =>
  z.strictObject({
    /** Event id = the id of the mutation that produced it (client-generated UUIDv7). */
    id: IdSchema,
    caseId: IdSchema,
    kind: z.literal(kind),
    payload: CaseEventPayloadSchemas[kind],
    actor: ActorSchema,
    workstationId: z.string().min(1).max(100),
    /** The author's clock: recorded and shown, never used to order. */
    clientTime: EpochMsSchema,
    /** Order on the workstation that wrote it. */
    localSeq: z.number().int().positive().nullable(),
    /** Order assigned by the central server (null until the server accepted it). */
    serverSeq: z.number().int().positive().nullable(),
    /** The server's clock when it accepted the event: the time that counts once known. */
    serverTime: EpochMsSchema.nullable(),
  });

export const CaseEventSchema = z.discriminatedUnion('kind', [
  eventVariant('case.opened'),
  eventVariant('case.fields_updated'),
  eventVariant('case.note_added'),
  eventVariant('case.sent_to_regulation'),
  eventVariant('case.taken'),
  eventVariant('case.released'),
  eventVariant('case.decided'),
  eventVariant('case.closed'),
  eventVariant('case.cancelled'),
  eventVariant('case.transferred_samu'),
  eventVariant('case.reopened'),
  eventVariant('case.linked'),
  eventVariant('case.call_recorded'),
  eventVariant('case.handed_over'),
]);
export type CaseEvent = z.infer<typeof CaseEventSchema>;
/** An event before the store gave it its local order. */
export type CaseEventDraft = CaseEvent extends infer E ? (E extends CaseEvent ? Omit<E, 'localSeq' | 'serverSeq' | 'serverTime'> & { serverTime?: number | null } : never) : never;
