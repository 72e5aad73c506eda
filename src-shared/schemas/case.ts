import { z } from 'zod';
import {
  CALLER_RELATIONSHIPS,
  CASE_STATUSES,
  DECISION_CODES,
  LINES,
  PRIORITIES,
  REASON_CODES,
  ACTOR_ROLES,
  SEXES,
  TRACKS,
} from '../domain/codes.js';
import { DepartmentCodeSchema, EpochMsSchema, IdSchema, InseeCodeSchema, IsoDateSchema, shortText } from './primitives.js';

export const RoleSchema = z.enum(ACTOR_ROLES);
export const PrioritySchema = z.enum(PRIORITIES);
export const TrackSchema = z.enum(TRACKS);
export const LineSchema = z.enum(LINES);
export const SexSchema = z.enum(SEXES);
export const ReasonCodeSchema = z.enum(REASON_CODES);
export const DecisionCodeSchema = z.enum(DECISION_CODES);
export const CallerRelationshipSchema = z.enum(CALLER_RELATIONSHIPS);

export const CaseStatusSchema = z.enum(CASE_STATUSES);
export type CaseStatus = z.infer<typeof CaseStatusSchema>;

/** Who did something, from which workstation. */
export const ActorSchema = z.strictObject({
  userId: shortText(100).min(1),
  displayName: shortText(100).min(1),
  role: RoleSchema,
});
export type Actor = z.infer<typeof ActorSchema>;

/** Who set a screening field's value, and when. */
export const FieldSourceSchema = z.strictObject({ by: shortText(100).min(1), role: RoleSchema, at: EpochMsSchema });
export type FieldSource = z.infer<typeof FieldSourceSchema>;

/** A phone number as typed; the domain normalises it (see text/phone.ts). */
export const PhoneInputSchema = z
  .string()
  .trim()
  .max(30)
  .regex(/^\+?[0-9 .()-]*$/, 'numéro de téléphone : chiffres, espaces, points, tirets ou + seulement');

export const CallerSchema = z.strictObject({
  name: shortText(100).optional(),
  relationship: CallerRelationshipSchema,
});
export type Caller = z.infer<typeof CallerSchema>;

export const PatientSchema = z.strictObject({
  lastName: shortText(100).optional(),
  firstName: shortText(100).optional(),
  birthDate: IsoDateSchema.optional(),
  /** When the birth date is unknown, an age in years (0 for infants, see ageMonths). */
  ageYears: z.number().int().min(0).max(130).optional(),
  sex: SexSchema.optional(),
});
export type Patient = z.infer<typeof PatientSchema>;

export const LocationSchema = z.strictObject({
  inseeCode: InseeCodeSchema.optional(),
  communeName: shortText(100).optional(),
  postalCode: z.string().regex(/^\d{5}$/, 'code postal à 5 chiffres').optional(),
  departmentCode: DepartmentCodeSchema.optional(),
  sectorId: shortText(50).optional(),
  address: shortText(300).optional(),
  accessNotes: shortText(500).optional(),
});
export type Location = z.infer<typeof LocationSchema>;

/** The screening fields an ARM fills (every one optional while screening is in progress). */
export const ScreeningFieldsSchema = z.strictObject({
  line: LineSchema.optional(),
  callbackPhone: PhoneInputSchema.optional(),
  caller: CallerSchema.optional(),
  patient: PatientSchema.optional(),
  location: LocationSchema.optional(),
  reasonCode: ReasonCodeSchema.optional(),
  reasonText: shortText(500).optional(),
  priority: PrioritySchema.optional(),
  /** The patient's treating doctor (médecin traitant): from the directory (id = RPPS/ADELI) or a name only. */
  treatingDoctor: z.strictObject({ id: z.string().regex(/^[0-9AB]{9,11}$/).optional(), name: shortText(150).min(1) }).optional(),
  /** The patient agreed that the effector's report goes to the treating doctor (asked during the call). */
  reportConsent: z.boolean().optional(),
});
export type ScreeningFields = z.infer<typeof ScreeningFieldsSchema>;
export const SCREENING_FIELD_NAMES = Object.keys(ScreeningFieldsSchema.shape) as (keyof ScreeningFields)[];

export const DecisionSchema = z.strictObject({
  code: DecisionCodeSchema,
  pharmacy: shortText(200).optional(),
  effector: shortText(200).optional(),
  appointmentAt: EpochMsSchema.optional(),
  destination: shortText(200).optional(),
  comment: shortText(2000).optional(),
  /** The effector chosen from the directory (RPPS/ADELI) and the request they accepted, when there was one. */
  effectorId: z.string().regex(/^[0-9AB]{9,11}$/).optional(),
  requestId: IdSchema.optional(),
  /** Where the patient is seen: the effector's place (consultation) or "Domicile du patient" (visit). */
  place: shortText(300).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/**
 * A telephone call attached to a case (medico-legal trace): SIP Call-ID, line, the other party's
 * number, arrival / answer / end times, the periods on hold. The agent is the event's actor.
 */
export const CallRecordSchema = z.strictObject({
  callId: z.string().min(1).max(200),
  direction: z.enum(['in', 'out']),
  line: LineSchema,
  remote: z.string().max(100),
  arrivedAt: EpochMsSchema,
  answeredAt: EpochMsSchema.nullable(),
  endedAt: EpochMsSchema,
  holds: z.array(z.strictObject({ from: EpochMsSchema, to: EpochMsSchema })).max(100),
  /** Handed over by a transfer to this number or extension (the SAMU's regulator, a colleague). */
  transferredTo: z.string().max(100).optional(),
});
export type CallRecord = z.infer<typeof CallRecordSchema>;

export const NoteSchema = z.strictObject({
  /**
   * The event that wrote the note; a partner's message may carry several notes, numbered after the
   * event's id (`<event id>#<n>`).
   */
  eventId: z.string().regex(/^[0-9a-f-]{36}(#\d{1,3})?$/i, 'identifiant de note invalide'),
  at: EpochMsSchema,
  author: z.string(),
  role: RoleSchema,
  text: z.string(),
});

/** Where a message exchanged over the Hub Santé stands, as its sender sees it (see hubsante-protocol.ts). */
export const HubDeliveryStateSchema = z.enum(['pending', 'published', 'received', 'integrated', 'refused', 'error']);

/** One message of the case exchanged over the Hub Santé, in or out, with its delivery steps when it is ours. */
export const HubCaseMessageSchema = z.strictObject({
  distributionId: z.string().max(200),
  direction: z.enum(['in', 'out']),
  /** RS-EDA `createCaseHealth`, RS-EDA-MAJ `createCaseHealthUpdate`, RC-REF `reference`, RS-ERROR `error`. */
  useCase: z.string().max(60),
  /** What it said, in French ("Transfert du dossier au SAMU", "Accusé de réception"). */
  label: z.string().max(200),
  at: EpochMsSchema,
  state: HubDeliveryStateSchema.optional(),
  /** When each delivery step was reached. */
  steps: z.partialRecord(HubDeliveryStateSchema, EpochMsSchema).optional(),
  error: z.strictObject({ code: z.number().int(), cause: z.string().max(2000) }).optional(),
  /** Not acknowledged by the peer within the configured delay: the users are alerted. */
  overdue: z.boolean().optional(),
  /** A partner's update: the screening fields it changed, and those whose value typed here it replaced. */
  changed: z.array(z.string().max(40)).max(20).optional(),
  replacedHere: z.array(z.string().max(40)).max(20).optional(),
});
export type HubCaseMessage = z.infer<typeof HubCaseMessageSchema>;

/** A hand-over of the case between us and the partner (the Hub's `owner`), and where it stands. */
export const HandOverStateSchema = z.enum(['to_us_pending', 'to_us_accepted', 'to_us_refused', 'to_peer_pending', 'to_peer_accepted', 'to_peer_refused']);
export type HandOverState = z.infer<typeof HandOverStateSchema>;

/** The case as shared with a partner over the Hub Santé (the department's SAMU). */
export const HubLinkSchema = z.strictObject({
  /** The Hub's case id (`fr.health.samu210.DRFR15…`), created once by whoever created the case. */
  caseId: z.string().max(200),
  /** The partner's Hub id and name. */
  peer: z.string().max(100),
  peerName: z.string().max(100).optional(),
  /** Who regulates the case now (a Hub id), and who created it. */
  owner: z.string().max(100),
  createdBy: z.enum(['us', 'peer']),
  handOver: HandOverStateSchema.optional(),
  handOverReason: z.string().max(2000).optional(),
  messages: z.array(HubCaseMessageSchema).max(1000),
});
export type HubLink = z.infer<typeof HubLinkSchema>;

/** The regulation case (dossier de régulation) as the projection of its events. */
export const RegulationCaseSchema = z.strictObject({
  id: IdSchema,
  reference: z.string(),
  status: CaseStatusSchema,
  openedAt: EpochMsSchema,
  openedBy: ActorSchema,
  updatedAt: EpochMsSchema,
  /** Number of events applied: the version a stale edit is detected against. */
  version: z.number().int().positive(),
  fields: ScreeningFieldsSchema,
  /** Last version at which each screening field changed (field-level merge and conflict detection). */
  fieldVersions: z.record(z.string(), z.number().int().positive()),
  /**
   * Who made each version that still holds a field's value (see fieldVersions), and when; absent on
   * cases recorded before it was kept.
   */
  fieldAuthors: z.record(z.string(), FieldSourceSchema).optional(),
  track: TrackSchema.optional(),
  waitingSince: EpochMsSchema.optional(),
  takenBy: ActorSchema.optional(),
  decision: DecisionSchema.optional(),
  decidedAt: EpochMsSchema.optional(),
  decidedBy: ActorSchema.optional(),
  /** The case's first decision (statistics: regulation delay); decidedAt is the latest. */
  firstDecidedAt: EpochMsSchema.optional(),
  /** How many times the case was reopened. */
  reopenCount: z.number().int().positive().optional(),
  closedAt: EpochMsSchema.optional(),
  statusReason: z.string().optional(),
  notes: z.array(NoteSchema),
  linkedCaseIds: z.array(IdSchema),
  /** Calls of this case, in the order they were recorded (absent on cases without any). */
  calls: z.array(CallRecordSchema.extend({ agent: z.string(), recordedBy: RoleSchema })).optional(),
  /** Shared with the SAMU over the Hub Santé (absent on cases never exchanged). */
  hub: HubLinkSchema.optional(),
});
export type RegulationCase = z.infer<typeof RegulationCaseSchema>;

/** What a queue or search lists: flat, cheap to read from the store. */
export const CaseSummarySchema = z.strictObject({
  id: IdSchema,
  reference: z.string(),
  status: CaseStatusSchema,
  priority: PrioritySchema.nullable(),
  track: TrackSchema.nullable(),
  openedAt: EpochMsSchema,
  waitingSince: EpochMsSchema.nullable(),
  updatedAt: EpochMsSchema,
  callbackPhone: z.string().nullable(),
  patientName: z.string().nullable(),
  patientSex: SexSchema.nullable(),
  patientBirthDate: z.string().nullable(),
  patientAgeYears: z.number().int().nullable(),
  communeName: z.string().nullable(),
  reasonCode: ReasonCodeSchema.nullable(),
  takenByName: z.string().nullable(),
  decisionCode: DecisionCodeSchema.nullable(),
  /** PDSA sector (from the duty directory), when the commune is in one. */
  sectorId: z.string().nullable(),
  /** Shared with the SAMU over the Hub Santé: where its hand-over stands (`shared`: no hand-over). */
  hubState: z.union([HandOverStateSchema, z.literal('shared')]).nullable(),
});
export type CaseSummary = z.infer<typeof CaseSummarySchema>;
