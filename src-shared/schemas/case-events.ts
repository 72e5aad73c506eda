import { z } from 'zod';
import { ActorSchema, CallRecordSchema, DecisionSchema, FieldSourceSchema, HubDeliveryStateSchema, LineSchema, ScreeningFieldsSchema } from './case.js';
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
  /** Accept or refuse a case the SAMU handed over to liberal regulation (answered over the Hub). */
  z.strictObject({ type: z.literal('answer_hand_over'), accept: z.boolean(), reason: shortText(500).optional() }),
  // ---- issued by the center's Hub Santé link only (role `hub`), never by a workstation ----
  /** A case the partner created and sent us (RS-EDA). */
  z.strictObject({ type: z.literal('hub_open'), line: LineSchema, fields: ScreeningFieldsSchema, notes: z.array(z.lazy(() => HubNoteSchema)).max(100), link: z.lazy(() => HubOpenLinkSchema), message: z.lazy(() => HubMessageRecordSchema) }),
  /** The partner's changes to a shared case (RS-EDA-MAJ): fields, notes, owner. */
  z.strictObject({ type: z.literal('hub_update'), changes: ScreeningFieldsSchema, notes: z.array(z.lazy(() => HubNoteSchema)).max(100), owner: z.string().max(100).optional(), ours: z.string().min(1).max(100), message: z.lazy(() => HubMessageRecordSchema) }),
  /** A delivery step of a message we sent about this case (published, acknowledged, integrated, refused, error, overdue). */
  z.strictObject({ type: z.literal('hub_delivery'), delivery: z.lazy(() => HubDeliverySchema) }),
]);
export type CaseCommand = z.infer<typeof CaseCommandSchema>;
export type CaseCommandType = CaseCommand['type'];

/** The original message, kept verbatim with the event it caused (what we do not model is not lost). */
export const HubMessageRecordSchema = z.strictObject({
  distributionId: z.string().min(1).max(200),
  senderId: z.string().min(1).max(100),
  useCase: z.string().min(1).max(60),
  sentAt: z.string().max(40),
  payload: z.record(z.string(), z.unknown()),
});
export const HubOpenLinkSchema = z.strictObject({ caseId: z.string().min(1).max(200), peer: z.string().min(1).max(100), peerName: z.string().max(100).optional(), owner: z.string().min(1).max(100), ours: z.string().min(1).max(100) });
export const HubNoteSchema = z.strictObject({ text: z.string().min(1).max(4000), author: z.string().max(200).optional() });
export const HubDeliverySchema = z.strictObject({
  distributionId: z.string().min(1).max(200),
  useCase: z.string().min(1).max(60),
  label: z.string().max(200),
  /** The link a first message creates (the case's Hub id, the partner, the owner it asked for). */
  link: z.strictObject({ caseId: z.string().min(1).max(200), peer: z.string().min(1).max(100), peerName: z.string().max(100).optional(), owner: z.string().min(1).max(100) }),
  state: HubDeliveryStateSchema.optional(),
  steps: z.partialRecord(HubDeliveryStateSchema, EpochMsSchema).optional(),
  error: z.strictObject({ code: z.number().int(), cause: z.string().max(2000) }).optional(),
  overdue: z.boolean().optional(),
});
export type HubDelivery = z.infer<typeof HubDeliverySchema>;
export type HubMessageRecord = z.infer<typeof HubMessageRecordSchema>;

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
  'case.hand_over_answered': z.strictObject({ accept: z.boolean(), reason: z.string().optional() }),
  'case.hub_opened': z.strictObject({ line: LineSchema, fields: ScreeningFieldsSchema, notes: z.array(HubNoteSchema), link: HubOpenLinkSchema, message: HubMessageRecordSchema }),
  'case.hub_updated': z.strictObject({
    changes: ScreeningFieldsSchema,
    /** The values the partner's changes replaced, and who had set each (the record of an overwrite). */
    previous: z.strictObject({ values: ScreeningFieldsSchema, setBy: z.record(z.string(), FieldSourceSchema) }).optional(),
    notes: z.array(HubNoteSchema),
    owner: z.string().optional(),
    ours: z.string(),
    message: HubMessageRecordSchema,
  }),
  'case.hub_delivery': z.strictObject({ delivery: HubDeliverySchema }),
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
  eventVariant('case.hand_over_answered'),
  eventVariant('case.hub_opened'),
  eventVariant('case.hub_updated'),
  eventVariant('case.hub_delivery'),
]);
export type CaseEvent = z.infer<typeof CaseEventSchema>;
/** An event before the store gave it its local order. */
export type CaseEventDraft = CaseEvent extends infer E ? (E extends CaseEvent ? Omit<E, 'localSeq' | 'serverSeq' | 'serverTime'> & { serverTime?: number | null } : never) : never;
