/**
 * The one contract between the renderer and the workstation core: dotted method names, each with an
 * input and an output schema. Types are inferred from the schemas, so no method exists without
 * validation. Adding a method = one entry here + one handler (src-main/core/handlers) + one test.
 */
import { ServerStateSchema } from '../schemas/server-state.js';
import { AvailabilityProfileSchema, CascadeSettingsSchema, EffectorRequestSchema, StartRequestSchema } from '../schemas/effectors.js';
import { BookingOutcomeSchema, BookingSchema, ConfirmBookingSchema, HoldSchema, OfferFiguresSchema, OrganisationSchema, SlotSchema, SlotSearchSchema, SurnombreSchema } from '../schemas/slots.js';
import { z } from 'zod';
import { CallbackEntrySchema, CallbackResultSchema, LinesStatusSchema, RecordingExportRequestSchema, RecordingViewSchema } from '../schemas/lines.js';
import { ActorSchema, CaseSummarySchema, RegulationCaseSchema, RoleSchema } from '../schemas/case.js';
import { CaseCommandSchema, CaseEventSchema } from '../schemas/case-events.js';
import { CommuneSchema, DepartmentSchema, PdsaRulesSchema, PdsaStatusSchema } from '../schemas/reference.js';
import { DirectoryKindSchema, DirectorySchema } from '../schemas/directory.js';
import { AgentPresenceSchema, AgentStateRequestSchema, SipAccountSchema } from '../sync-protocol/messages.js';
import { DepartmentCodeSchema, IdSchema, IsoDateSchema } from '../schemas/primitives.js';
import { CallReportSchema, CenterCallSchema } from '../schemas/call-log.js';
import { ActivityStatisticsSchema, IncentiveSettingsSchema, ReportRequestSchema, TodayFiguresSchema } from '../schemas/statistics.js';
import { HubAppointmentSchema, HubJournalEntrySchema, HubOverviewSchema, QuarantineItemSchema } from '../schemas/hubsante.js';
import { AccessEntrySchema } from '../schemas/access-audit.js';
import { SecuritySettingsSchema } from '../schemas/security.js';

/** An open session as an admin sees it. */
export const SessionViewSchema = z.strictObject({
  id: z.string(),
  principal: z.string(),
  displayName: z.string(),
  role: z.string(),
  kind: z.enum(['workstation', 'effector']),
  workstation: z.string(),
  address: z.string().nullable(),
  method: z.string(),
  acr: z.string().nullable(),
  startedAt: z.number(),
  lastSeenAt: z.number(),
  expiresAt: z.number(),
});
import { CaseStatusSchema, LineSchema, PrioritySchema, ReasonCodeSchema, ScreeningFieldsSchema, TrackSchema } from '../schemas/case.js';

export const SessionSchema = z.strictObject({
  actor: ActorSchema,
  department: DepartmentCodeSchema,
  workstationId: z.string(),
  startedAt: z.number(),
  /** local: no central server configured; server: authenticated by it; offline: server unreachable,
   * user recognised from an earlier login on this workstation. */
  mode: z.enum(['local', 'server', 'offline']),
  tenant: z.string().nullable(),
  /** A partner organisation's user (SAS, CPTS, tele-secretariat): the agenda only, no cases. */
  organisation: z.string().nullable().default(null),
  /** When this session ends whatever happens (its server session's end; offline, the bound). */
  endsAt: z.number().nullable().default(null),
  /** Locked after the idle time: no patient datum is shown until its user unlocks it. */
  locked: z.boolean().default(false),
  /** The center requires a second factor this user has not enrolled: he may only enrol it. */
  mustEnrolSecondFactor: z.boolean().default(false),
  /** Idle time before this user's workstation locks (the center's setting for his role). */
  idleLockSeconds: z.number().int().positive().nullable().default(null),
});

export const SyncStatusSchema = z.strictObject({
  enabled: z.boolean(),
  connection: z.enum(['online', 'connecting', 'offline']),
  offlineSince: z.number().nullable(),
  lastContactAt: z.number().nullable(),
  pending: z.number().int(),
  rejected: z.number().int(),
  cursor: z.number().int(),
  lastError: z.string().nullable(),
  /** The server refused this session (its token expired during an outage): the user logs in again; nothing typed is lost. */
  sessionExpired: z.boolean(),
  /** The server instance in use (support details; the user sees one central server). */
  server: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatusSchema>;

export const LocalLoginSchema = z.strictObject({
  displayName: z.string().trim().min(2, 'nom trop court').max(100),
  role: RoleSchema,
  department: DepartmentCodeSchema,
});
export const ServerLoginSchema = z.strictObject({
  tenant: z.string().trim().min(1).max(31).optional(),
  login: z.string().trim().min(1, 'identifiant requis').max(100),
  password: z.string().min(1, 'mot de passe requis').max(200),
  /** The authenticator app's code, when the account has a second factor. */
  totp: z.string().trim().regex(/^\d{6}$/, 'code à 6 chiffres').optional(),
});
export type Session = z.infer<typeof SessionSchema>;

/** The free texts of a case kept as drafts while typed. */
export const TextDraftFieldSchema = z.enum(['note', 'transferReason', 'reopenReason', 'cancelReason']);
export type TextDraftField = z.infer<typeof TextDraftFieldSchema>;

/**
 * What a workstation answers with nobody logged in: the login screen's needs, nothing else. Every
 * other method refuses until a user is logged in (deny by default: a method added later is
 * closed unless it is put here on purpose). Patient data, the duty directory (doctors' numbers),
 * the queue and the statistics are never served to a workstation left without a session.
 */
export const METHODS_WITHOUT_SESSION: ReadonlySet<string> = new Set([
  'system.info',
  'session.login',
  'session.pscStart',
  'session.pscFinish',
  'session.mode',
  'session.current',
  'session.logout',
  'sync.status',
]);
/**
 * What a locked workstation still answers: its lock screen (unlock, log out) and the telephone —
 * a call in progress goes on and can be hung up, an incoming call rings, its report is kept.
 */
export const METHODS_WHILE_LOCKED: ReadonlySet<string> = new Set([...METHODS_WITHOUT_SESSION, 'session.unlock', 'session.lock', 'phone.account', 'call.report']);
/** What a session that must first enrol its second factor may do. */
export const METHODS_WHILE_ENROLLING: ReadonlySet<string> = new Set([...METHODS_WITHOUT_SESSION, 'secondFactor.enrol', 'secondFactor.confirm']);

const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O, description: string) => ({
  input,
  output,
  description,
});

export const EffectorsStateSchema = z.strictObject({ profiles: z.array(AvailabilityProfileSchema), requests: z.array(EffectorRequestSchema) });

/** The lines' figures and the callback list, as a workstation last received them. */
export const LinesStateSchema = z.strictObject({ status: LinesStatusSchema, callbacks: z.array(CallbackEntrySchema) });
export type LinesState = z.infer<typeof LinesStateSchema>;

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
    z.union([ServerLoginSchema, LocalLoginSchema]),
    SessionSchema,
    'Open a session: with login and password against the central server, or (standalone workstation) a named user and role.',
  ),
  'session.mode': method(
    z.strictObject({}),
    z.strictObject({ serverConfigured: z.boolean(), defaultTenant: z.string().nullable(), idleLockSeconds: z.number().int().positive() }),
    'Whether this workstation is connected to a central server (the login form depends on it), and after how long idle it locks.',
  ),
  'secondFactor.enrol': method(
    z.strictObject({}),
    z.strictObject({ secret: z.string(), uri: z.string() }),
    'Start enrolling a second factor: a secret for the authenticator app (its QR code carries the URI).',
  ),
  'secondFactor.confirm': method(z.strictObject({ code: z.string().trim().regex(/^\d{6}$/, 'code à 6 chiffres') }), SessionSchema, 'Confirm the second factor with a first code from the app.'),
  'session.pscStart': method(
    z.strictObject({}),
    z.strictObject({ flowId: z.uuid(), authorizationUrl: z.url() }),
    'Start a Pro Santé Connect login: the page to open for the doctor (e-CPS or CPS card).',
  ),
  'session.pscFinish': method(
    z.strictObject({ flowId: z.uuid(), practice: z.number().int().min(0).max(50).optional() }),
    z.discriminatedUnion('status', [
      z.strictObject({ status: z.literal('done'), session: SessionSchema }),
      z.strictObject({ status: z.literal('choose'), practices: z.array(z.string()) }),
    ]),
    'Wait for the doctor to finish on Pro Santé Connect; with several practices, he chooses one (then call again with it).',
  ),
  'session.lock': method(z.strictObject({}), z.strictObject({}), 'Lock the workstation (idle, or the user leaves it): the screen hides every patient datum.'),
  'session.unlock': method(
    ServerLoginSchema,
    SessionSchema,
    'Unlock: the same user with his password; another user logs the first one out (his unsent work is kept and sent under his name) and opens his own session.',
  ),
  'sync.status': method(z.strictObject({}), SyncStatusSchema, 'State of the link with the central server.'),
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
  'case.byHubCase': method(
    z.strictObject({ hubCaseId: z.string().regex(/^[A-Za-z0-9._:-]{3,128}$/) }),
    z.strictObject({ caseId: IdSchema.nullable() }),
    'The case exchanged with the SAMU over the Hub under this Hub case id (a call transferred by the SAMU names it).',
  ),
  'case.history': method(
    z.strictObject({ caseId: IdSchema }),
    z.array(CaseEventSchema.and(z.object({ syncStatus: z.enum(['pending', 'accepted', 'rejected']) }))),
    'The event log of a case, with each event’s standing with the server.',
  ),
  'case.recent': method(
    z.strictObject({
      limit: z.number().int().min(1).max(500).default(50),
      statuses: z.array(CaseStatusSchema).optional(),
    }),
    z.array(CaseSummarySchema),
    'Most recently changed cases.',
  ),
  'case.summaries': method(
    z.strictObject({ ids: z.array(IdSchema).max(500) }),
    z.array(CaseSummarySchema),
    'Summaries of these cases (those that exist): what a list needs to update after an event.',
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
  'audit.recordRead': method(
    z.strictObject({ caseId: IdSchema, action: z.enum(['case.open', 'case.print', 'case.export']) }),
    z.strictObject({}),
    'Record that the user read this case (opened on screen, printed, exported): sent to the server’s access audit, later when offline.',
  ),
  'audit.caseAccesses': method(z.strictObject({ caseId: IdSchema }), z.array(AccessEntrySchema), 'Who accessed this case, oldest first (supervisors, admins).'),
  'audit.userReport': method(
    z.strictObject({ login: z.string().trim().min(1).max(100), from: IsoDateSchema, to: IsoDateSchema }),
    z.strictObject({ filename: z.string(), contentType: z.string(), base64: z.string() }),
    'What a user accessed over a period, as CSV (a patient’s access-log request; supervisors, admins).',
  ),
  'draft.save': method(
    z.strictObject({ caseId: IdSchema, baseVersion: z.number().int().positive(), fields: ScreeningFieldsSchema }),
    z.strictObject({ savedAt: z.number() }),
    'Save what the form holds and has not committed yet (crash safety; local to this workstation).',
  ),
  'draft.get': method(
    z.strictObject({ caseId: IdSchema }),
    z.strictObject({ baseVersion: z.number().int(), fields: ScreeningFieldsSchema, savedAt: z.number() }).nullable(),
    'The saved draft of this user for a case, if any.',
  ),
  'draft.discard': method(z.strictObject({ caseId: IdSchema }), z.strictObject({}), 'Forget the draft of a case.'),
  'draft.saveText': method(
    z.strictObject({ caseId: IdSchema, field: TextDraftFieldSchema, text: z.string().max(4000) }),
    z.strictObject({ savedAt: z.number() }),
    'Keep a free text being typed in a case (a note, a reason) until it is sent; an empty text forgets it.',
  ),
  'draft.getTexts': method(
    z.strictObject({ caseId: IdSchema }),
    z.array(z.strictObject({ field: TextDraftFieldSchema, text: z.string(), savedAt: z.number() })),
    'The free texts this user was typing in a case and has not sent.',
  ),
  'case.repeats': method(
    z.strictObject({
      /** The case being screened (left out of the answer). */
      caseId: IdSchema.optional(),
      callbackPhone: z.string().trim().max(30).optional(),
      lastName: z.string().trim().max(100).optional(),
      firstName: z.string().trim().max(100).optional(),
      birthDate: IsoDateSchema.optional(),
      reasonCode: ReasonCodeSchema.optional(),
    }),
    z.strictObject({
      repeats: z.array(z.strictObject({ summary: CaseSummarySchema, matches: z.array(z.enum(['phone', 'patient'])), within24h: z.boolean() })),
      suggestion: z.strictObject({ priority: PrioritySchema, reason: z.string(), raisedForRepeat: z.boolean() }).nullable(),
    }),
    'Cases of the last 72 hours with the same callback number or the same patient (name + birth date), and the priority to suggest.',
  ),
  'case.patientHistory': method(
    z.strictObject({ caseId: IdSchema, limit: z.number().int().min(1).max(200).default(50) }),
    z.array(CaseSummarySchema),
    'Earlier cases of the same patient (same number, or same name + birth date), all dates, newest first.',
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
      limit: z.number().int().min(1).max(200).default(10),
    }),
    z.array(CommuneSchema),
    'Communes by name (accents ignored) or postal code.',
  ),
  'agent.setState': method(
    AgentStateRequestSchema,
    z.strictObject({ published: z.boolean() }),
    'This agent’s state (available, busy, pause with a reason, offline), published to the central server for supervisors.',
  ),
  'agent.list': method(z.strictObject({}), z.array(AgentPresenceSchema), 'The center’s agents and their states (from the central server).'),
  'call.report': method(
    CallReportSchema.omit({ id: true }),
    z.strictObject({ queued: z.literal(true) }),
    'What this phone saw of a call (ringing, answered, ended): kept locally, sent to the center’s call log.',
  ),
  'calls.live': method(z.strictObject({}), z.array(CenterCallSchema), 'Calls ringing or in progress in the center (from the central server).'),
  'lines.state': method(
    z.strictObject({}),
    LinesStateSchema,
    'The center’s lines: each queue’s waiting calls and longest wait, and the callers to call back (from the central server; the last known when offline).',
  ),
  'callbacks.claim': method(
    z.strictObject({ id: z.uuid() }),
    z.strictObject({ number: z.string(), callerId: z.string().nullable() }),
    'Take a caller to call back: the entry leaves everyone’s list; refused when a colleague already took it.',
  ),
  'recordings.ofCase': method(z.strictObject({ caseId: z.uuid() }), z.array(RecordingViewSchema), 'The recordings of the conversations of a case (central server).'),
  'recordings.audio': method(
    z.strictObject({ id: z.uuid() }),
    z.strictObject({ contentType: z.string(), base64: z.string() }),
    'One recording’s audio, to listen to (the server keeps who listened, when).',
  ),
  'recordings.export': method(
    RecordingExportRequestSchema.extend({ id: z.uuid() }),
    z.strictObject({ filename: z.string(), contentType: z.string(), base64: z.string(), sha256: z.string() }),
    'A recording exported for a legal request, with its fingerprint (supervisors; the reason is kept in the audit).',
  ),
  'callbacks.finish': method(
    z.strictObject({ id: z.uuid(), result: CallbackResultSchema }),
    z.strictObject({}),
    'How the callback went: reached (the entry closes, linked to the call and the case) or not (back on the list).',
  ),
  'stats.today': method(z.strictObject({}), TodayFiguresSchema, 'Today’s call figures and calls per half-hour against the same weekday last week (central server).'),
  'server.state': method(z.strictObject({}), ServerStateSchema, 'The central server side as one state (normal, degraded, failover in progress) with its reasons, for the wall screen.'),
  'stats.period': method(
    z.strictObject({ from: IsoDateSchema, to: IsoDateSchema, sectorId: z.string().trim().min(1).max(50).optional() }),
    ActivityStatisticsSchema,
    'Activity statistics of the center for local days from..to (supervisors, admins).',
  ),
  'reports.download': method(
    ReportRequestSchema,
    z.strictObject({ filename: z.string(), contentType: z.string(), base64: z.string() }),
    'A report from the central server: monthly activity (PDF, CSV) or regulation acts per physician (CSV, month or year).',
  ),
  'incentives.get': method(z.strictObject({}), IncentiveSettingsSchema, 'What the incentive scheme pays per regulation act and at year end (cents).'),
  'incentives.set': method(IncentiveSettingsSchema, IncentiveSettingsSchema, 'Change the incentive amounts (admin).'),
  'phone.account': method(
    z.strictObject({}),
    SipAccountSchema.nullable(),
    'The softphone account of the logged-in user (from the center’s configuration), or null without telephony.',
  ),
  'effectors.state': method(
    z.strictObject({}),
    EffectorsStateSchema,
    'Effectors’ availability profiles and the center’s requests to effectors (last 24 h), as the server last pushed them.',
  ),
  'effectors.sendRequest': method(StartRequestSchema, EffectorRequestSchema, 'Send a request to effectors (notification cascade) for a case (physician).'),
  'effectors.cancelRequest': method(z.strictObject({ requestId: z.uuid() }), z.strictObject({ cancelled: z.literal(true) }), 'Cancel a request still open or unanswered (physician).'),
  'agenda.search': method(SlotSearchSchema, z.array(SlotSchema), 'Free places in the shared agenda, nearest first (central server).'),
  'agenda.hold': method(HoldSchema, BookingSchema, 'Hold a place in a slot for a few minutes while the patient is filled in.'),
  'agenda.confirm': method(ConfirmBookingSchema.extend({ bookingId: z.uuid() }), BookingSchema, 'Confirm a held place with the patient, the case, the reason and the wished delay.'),
  'agenda.setState': method(BookingOutcomeSchema.extend({ bookingId: z.uuid() }), BookingSchema, 'Cancel a booking (booker) or say whether the patient came (effector).'),
  'agenda.surnombre': method(SurnombreSchema, BookingSchema, 'Book beyond published slots with a doctor who accepts it (surnombre).'),
  'agenda.bookings': method(z.strictObject({}), z.array(BookingSchema), 'Bookings of the last day and to come (a partner sees its own).'),
  'agenda.offer': method(z.strictObject({ from: IsoDateSchema, to: IsoDateSchema }), OfferFiguresSchema, 'Figures of the offer for supervisors: heat map, per doctor, per sector, incentives.'),
  'effectors.setAccount': method(
    z.strictObject({ effectorId: z.string().min(9).max(11), password: z.string().min(12, 'mot de passe : 12 caractères au moins').max(200) }),
    z.strictObject({ effectorId: z.string() }),
    'Create or reset an effector’s password for the effector page (admin).',
  ),
  'cascade.get': method(z.strictObject({}), CascadeSettingsSchema, 'How long the treating doctor, then each tier, has a request before the next is asked.'),
  'cascade.set': method(CascadeSettingsSchema, CascadeSettingsSchema, 'Change the cascade deadlines (admin).'),
  'organisations.list': method(z.strictObject({}), z.array(OrganisationSchema), 'Partner organisations of the center and their rights on the shared agenda.'),
  'organisations.set': method(OrganisationSchema, OrganisationSchema, 'Create or change a partner organisation (admin).'),
  'organisations.assignUser': method(
    z.strictObject({ login: z.string().trim().min(1).max(100), organisationId: z.string().regex(/^[a-z0-9-]{1,40}$/).nullable() }),
    z.strictObject({ login: z.string(), organisationId: z.string().nullable() }),
    'Attach a user to a partner organisation, or back to the center’s own regulation (null) (admin).',
  ),
  'admin.sessions': method(z.strictObject({}), z.array(SessionViewSchema), 'Who is logged in where: the center’s open sessions, newest first (admin).'),
  'admin.endSession': method(z.strictObject({ sessionId: z.uuid() }), z.strictObject({}), 'End a session: its tokens open nothing any more (admin).'),
  'admin.updateUser': method(
    z.strictObject({
      login: z.string().trim().min(1).max(100),
      role: RoleSchema.exclude(['hub']).optional(),
      active: z.boolean().optional(),
      password: z.string().min(12, 'mot de passe : 12 caractères au moins').max(200).optional(),
      resetSecondFactor: z.literal(true).optional(),
    }),
    z.strictObject({ login: z.string(), sessionsEnded: z.number().int() }),
    'Change an account: role, deactivation, new password, second factor reset; its sessions end (admin).',
  ),
  'security.get': method(z.strictObject({}), SecuritySettingsSchema, 'The center’s security settings: second factor required, idle lock per role.'),
  'security.set': method(SecuritySettingsSchema, SecuritySettingsSchema, 'Change the center’s security settings (admin).'),
  'hub.status': method(z.strictObject({}), HubOverviewSchema, 'The center’s Hub Santé link: state, last messages in and out, messages waiting for the partner’s acknowledgement.'),
  'hub.quarantine': method(z.strictObject({}), z.array(QuarantineItemSchema), 'Messages received that could not be integrated (supervisors).'),
  'hub.replay': method(z.strictObject({ distributionId: z.string().min(3).max(200) }), z.strictObject({ outcome: z.enum(['applied', 'quarantined']) }), 'Apply a quarantined message again (supervisors).'),
  'hub.appointments': method(z.strictObject({}), z.array(HubAppointmentSchema), 'Appointments booked by the national SAS platform, unlinked first.'),
  'hub.linkAppointment': method(z.strictObject({ appointmentId: z.string().min(1).max(200), caseId: IdSchema }), z.strictObject({ outcome: z.literal('linked') }), 'Attach a SAS appointment to a case (noted in its timeline).'),
  'hub.caseMessages': method(z.strictObject({ caseId: IdSchema }), z.array(HubJournalEntrySchema), 'Every Hub message of a case in and out, verbatim.'),
  'directory.duty': method(z.strictObject({}), DirectorySchema, 'The center’s duty directory: sectors, on-call rota, duty pharmacies, MMGs.'),
  'directory.import': method(
    z.strictObject({ kind: DirectoryKindSchema, csv: z.string().min(1, 'fichier vide').max(8 * 1024 * 1024, 'fichier trop volumineux (8 Mo au plus)') }),
    z.strictObject({ version: z.number().int(), rows: z.number().int() }),
    'Replace one kind of the duty directory from a CSV file (admin): every line checked, nothing imported on error.',
  ),
  'directory.departments': method(z.strictObject({}), z.array(DepartmentSchema), 'All departments.'),
  'pdsa.rules': method(z.strictObject({}), PdsaRulesSchema, 'The center’s PDSA rules (Saturday’s start, bridge days), from the server.'),
  'pdsa.setRules': method(PdsaRulesSchema, PdsaRulesSchema, 'Change the center’s PDSA rules (admin): statistics and every workstation follow them.'),
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
