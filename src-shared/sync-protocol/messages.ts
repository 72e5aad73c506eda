/**
 * Wire messages between a workstation and the central regulation server (version 1).
 * Server-authoritative: workstations push commands (mutations) in order; the server decides each
 * once, appends the resulting events with a gapless per-tenant sequence, and every workstation
 * pulls / receives them in that order. See docs/sync-protocol.md.
 */
import { AvailabilityProfileSchema, EffectorRequestSchema } from '../schemas/effectors.js';
import { z } from 'zod';
import { CenterCallSchema } from '../schemas/call-log.js';
import { AGENT_STATES, PAUSE_REASONS } from '../domain/agent-state.js';
import { CallbackEntrySchema, LinesStatusSchema } from '../schemas/lines.js';
import { ROLES } from '../domain/codes.js';
import { CaseSummarySchema } from '../schemas/case.js';
import { CaseCommandSchema, CaseEventSchema } from '../schemas/case-events.js';
import { EpochMsSchema, IdSchema } from '../schemas/primitives.js';

export const SYNC_PROTOCOL_VERSION = 1;
export const MAX_PUSH_MUTATIONS = 200;
export const MAX_PULL_EVENTS = 5000;
export const MAX_SNAPSHOT_CASES = 5000;

export const TenantIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'identifiant de centre invalide');
export const WorkstationIdSchema = z.string().min(1).max(100);

export const LoginRequestSchema = z.strictObject({
  tenant: TenantIdSchema,
  login: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(200),
  workstationId: WorkstationIdSchema,
  /** The authenticator app's code, when the account has a second factor. */
  totp: z.string().regex(/^\d{6}$/, 'code à 6 chiffres').optional(),
});
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

export const UserSchema = z.strictObject({
  id: z.string(),
  tenant: TenantIdSchema,
  login: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  /** The partner organisation the user works for (SAS, CPTS, tele-secretariat): only the agenda is his. */
  organisation: z.string().nullable().default(null),
});
export type User = z.infer<typeof UserSchema>;

export const SipAccountSchema = z.strictObject({
  /** ws:// (loopback tests) or wss:// (production) address of the SIP server's WebSocket. */
  wsUrl: z.string().regex(/^wss?:\/\/[^\s]+$/, 'adresse WebSocket SIP invalide'),
  domain: z.string().min(1).max(200),
  username: z.string().min(1).max(100),
  /** The digest secret: HA1 for the center's realm (what the server hands out), or a password (a local setup). */
  ha1: z.string().regex(/^[0-9a-f]{32}$/, 'HA1 : 32 chiffres hexadécimaux').optional(),
  password: z.string().min(1).max(200).optional(),
}).refine((a) => a.ha1 !== undefined || a.password !== undefined, 'compte SIP sans secret (ha1 ou mot de passe)');
export type SipAccount = z.infer<typeof SipAccountSchema>;

export const AgentPresenceSchema = z.strictObject({
  userId: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  workstation: z.string(),
  state: z.enum(AGENT_STATES),
  reason: z.enum(PAUSE_REASONS).nullable(),
  /** Server time of the change (time in state). */
  since: EpochMsSchema,
});
export type AgentPresence = z.infer<typeof AgentPresenceSchema>;
export const AgentStateRequestSchema = z.strictObject({ state: z.enum(AGENT_STATES), reason: z.enum(PAUSE_REASONS).nullable() });
export type AgentStateRequest = z.infer<typeof AgentStateRequestSchema>;

export const LoginResponseSchema = z.strictObject({
  token: z.string(),
  expiresAt: EpochMsSchema,
  /** When the server session ends whatever the refreshes (a shift): the offline session ends then too. */
  sessionEndsAt: EpochMsSchema.optional(),
  /** 'enrol': the center requires a second factor this account has not enrolled yet (the session may only do that). */
  secondFactor: z.enum(['none', 'checked', 'enrol']).optional(),
  /** Idle time before this user's workstation locks (the center's setting for the role). */
  idleLockSeconds: z.number().int().positive().optional(),
  user: UserSchema,
  epoch: z.string(),
  department: z.string(),
  /** The user's softphone account on the center's SIP server, if the center has telephony. */
  sip: SipAccountSchema.nullable(),
});
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

/** One command a workstation wants applied, with its own unique id and order. */
export const MutationSchema = z.strictObject({
  id: IdSchema,
  caseId: IdSchema,
  command: CaseCommandSchema,
  /** The workstation's clock when the user acted: recorded, never used to order. */
  clientTime: EpochMsSchema,
  localSeq: z.number().int().positive(),
});
export type Mutation = z.infer<typeof MutationSchema>;

export const PushRequestSchema = z.strictObject({
  mutations: z.array(MutationSchema).min(1).max(MAX_PUSH_MUTATIONS),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

export const VerdictSchema = z.strictObject({
  id: IdSchema,
  status: z.enum(['accepted', 'rejected']),
  seq: z.number().int().positive().optional(),
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const PushResponseSchema = z.strictObject({
  epoch: z.string(),
  headSeq: z.number().int().nonnegative(),
  verdicts: z.array(VerdictSchema),
});
export type PushResponse = z.infer<typeof PushResponseSchema>;

/** An event as the server accepted it: it has its sequence number and the server's time. */
export const ServerEventSchema = CaseEventSchema.and(
  z.object({ serverSeq: z.number().int().positive(), serverTime: EpochMsSchema }),
);
export type ServerEvent = z.infer<typeof CaseEventSchema> & { serverSeq: number; serverTime: number };

export const PullResponseSchema = z.strictObject({
  epoch: z.string(),
  headSeq: z.number().int().nonnegative(),
  events: z.array(ServerEventSchema),
});
export type PullResponse = z.infer<typeof PullResponseSchema>;

// The snapshot's pages are newline-delimited JSON: snapshot-page.ts.

export const CaseHistoryResponseSchema = z.strictObject({ epoch: z.string(), events: z.array(ServerEventSchema) });

/** A search of the server's cases (those a workstation no longer keeps): by callback number or name prefix. */
export const CaseSearchQuerySchema = z
  .strictObject({
    phone: z.string().regex(/^\+[0-9]{6,15}$/, 'numéro canonique attendu (+33…)').optional(),
    name: z.string().trim().min(2).max(60).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .refine((q) => Boolean(q.phone) !== Boolean(q.name), 'un numéro ou un nom, pas les deux');
export const CaseSearchResponseSchema = z.strictObject({ cases: z.array(CaseSummarySchema) });

/** Frames the server sends on the realtime WebSocket. */
export const ServerWsFrameSchema = z.discriminatedUnion('type', [
  /** `cases`: this socket carries the center's cases (false for an admin or a partner organisation). */
  z.strictObject({ type: z.literal('hello'), epoch: z.string(), headSeq: z.number().int().nonnegative(), cases: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('events'), epoch: z.string(), events: z.array(ServerEventSchema) }),
  /** Sent instead of data when the socket is congested: pull from your cursor. */
  z.strictObject({ type: z.literal('poke'), epoch: z.string(), headSeq: z.number().int().nonnegative() }),
  z.strictObject({ type: z.literal('bye'), reason: z.string() }),
  /** The center's agents and their states (after hello and at every change). */
  z.strictObject({ type: z.literal('agents'), agents: z.array(AgentPresenceSchema) }),
  /** Calls ringing or in progress in the center, after any change (wall screen, supervisors). */
  z.strictObject({ type: z.literal('calls'), calls: z.array(CenterCallSchema) }),
  /** The center's duty directory is at this version (sent after hello and after each import). */
  z.strictObject({ type: z.literal('directory'), version: z.number().int().nonnegative() }),
  /** Effectors' availability profiles (after hello and at every change). */
  z.strictObject({ type: z.literal('availability'), profiles: z.array(AvailabilityProfileSchema) }),
  /** Requests to effectors of the last 24 h (after hello and at every change). */
  z.strictObject({ type: z.literal('effectorRequests'), requests: z.array(EffectorRequestSchema) }),
  /** The shared agenda changed (a slot published, held, booked...): searches shown are run again. */
  z.strictObject({ type: z.literal('agenda'), version: z.number().int().nonnegative() }),
  /** The Hub Santé link changed (connection, messages waiting for an acknowledgement, quarantine, SAS appointments): read it again. */
  z.strictObject({ type: z.literal('hub'), version: z.number().int().nonnegative() }),
  /** The center's settings read by workstations changed (PDSA rules): read them again. */
  z.strictObject({ type: z.literal('settings'), what: z.enum(['pdsa']) }),
  /** The lines' queues and the callback list's figures (after hello and at every change; wall screen). */
  z.strictObject({ type: z.literal('lines'), status: LinesStatusSchema }),
  /** The callers to call back, with their numbers (after hello and at every change). */
  z.strictObject({ type: z.literal('callbacks'), callbacks: z.array(CallbackEntrySchema) }),
]);
export type ServerWsFrame = z.infer<typeof ServerWsFrameSchema>;

export const ErrorResponseSchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
