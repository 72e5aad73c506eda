/**
 * The center's call log. Each workstation reports what its phone saw of a call (ringing, answered,
 * ended), under a report id so that a retry is harmless; the central server merges the reports of
 * every workstation that rang for the same SIP Call-ID into one call: arrival, answer and by whom,
 * end, transfer. Calls nobody answered are in it too (abandoned calls): they have no case.
 */
import { z } from 'zod';
import { LineSchema, RoleSchema } from './case.js';
import { EpochMsSchema, IdSchema, shortText } from './primitives.js';

export const CALL_VIEW_STATES = ['ringing', 'answered', 'ended'] as const;
export type CallViewState = (typeof CALL_VIEW_STATES)[number];

export const CALL_END_REASONS = ['caller_hung_up', 'agent_hung_up', 'cancelled', 'rejected', 'transferred', 'failed', 'answered_elsewhere'] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

/** One workstation's view of one call, at one moment. */
export const CallReportSchema = z.strictObject({
  /** Unique per report (a retry sends the same id). */
  id: IdSchema,
  callId: z.string().min(1).max(200),
  direction: z.enum(['in', 'out']),
  line: LineSchema,
  /** The caller's number (incoming) or the number called (outgoing). */
  remote: shortText(100),
  /** Set when the call reached this phone by a transfer (SIP Referred-By): not a new call. */
  referredBy: shortText(200).optional(),
  state: z.enum(CALL_VIEW_STATES),
  /** This phone's clock: the INVITE arrived (or was sent), was answered here, ended here. */
  arrivedAt: EpochMsSchema,
  answeredAt: EpochMsSchema.nullable(),
  endedAt: EpochMsSchema.nullable(),
  endReason: z.enum(CALL_END_REASONS).nullable(),
  transferredTo: shortText(100).optional(),
  caseId: IdSchema.optional(),
});
export type CallReport = z.infer<typeof CallReportSchema>;

export const MAX_CALL_REPORTS_PER_PUSH = 500;
export const CallReportPushSchema = z.strictObject({ reports: z.array(CallReportSchema).min(1).max(MAX_CALL_REPORTS_PER_PUSH) });

/** Who reported, as the server knows from the token (never from the report itself). */
export const CallAgentSchema = z.strictObject({ userId: shortText(100), displayName: shortText(100), role: RoleSchema, workstation: shortText(200) });
export type CallAgent = z.infer<typeof CallAgentSchema>;

export const CALL_STATUSES = ['ringing', 'in_progress', 'ended'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** A call as the center saw it: every phone's reports merged. */
export const CenterCallSchema = z.strictObject({
  callId: z.string(),
  direction: z.enum(['in', 'out']),
  line: LineSchema,
  remote: z.string(),
  referredBy: z.string().nullable(),
  status: z.enum(CALL_STATUSES),
  arrivedAt: EpochMsSchema,
  answeredAt: EpochMsSchema.nullable(),
  answeredBy: CallAgentSchema.nullable(),
  endedAt: EpochMsSchema.nullable(),
  /** How it ended: the answering phone's reason, or the ringing phones' when nobody answered. */
  endReason: z.enum(CALL_END_REASONS).nullable(),
  transferredTo: z.string().nullable(),
  caseId: IdSchema.nullable(),
  /** Each phone that saw it (workstation id) and where it is with it. */
  views: z.record(z.string(), z.enum(CALL_VIEW_STATES)),
});
export type CenterCall = z.infer<typeof CenterCallSchema>;
