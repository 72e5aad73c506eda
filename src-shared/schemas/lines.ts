/**
 * The center's lines as workstations and the wall screen see them: each line's queue (how many
 * wait, the longest wait), and the list of callers who hung up before being answered, to be called
 * back (one entry per number, repeated abandons counted on it).
 */
import { z } from 'zod';
import { EpochMsSchema, IdSchema, shortText } from './primitives.js';

export const LineQueueSummarySchema = z.strictObject({
  line: shortText(32),
  label: shortText(100),
  waiting: z.number().int().nonnegative(),
  longestWaitMs: z.number().int().nonnegative(),
});

export const CallbackEntrySchema = z.strictObject({
  id: IdSchema,
  /** The caller's number as the operator presented it. */
  number: shortText(64),
  line: shortText(32),
  lineLabel: shortText(100),
  firstAt: EpochMsSchema,
  lastAt: EpochMsSchema,
  /** How many times this number hung up before being answered since the entry opened. */
  abandons: z.number().int().positive(),
  longestWaitMs: z.number().int().nonnegative(),
  /** An agent is calling this number back (the entry has left everyone's list to do). */
  state: z.enum(['open', 'calling']),
  claimedBy: shortText(100).nullable(),
  /** The number to present when calling back (the line's setting), null: the agent's own. */
  callerId: shortText(64).nullable(),
});
export type CallbackEntry = z.infer<typeof CallbackEntrySchema>;

export const LinesStatusSchema = z.strictObject({
  /** False when no call distributor runs for this center (the lines are not configured). */
  enabled: z.boolean(),
  /** Whether the server's link to the SIP router is up (calls cannot be handed out without it). */
  connected: z.boolean(),
  lines: z.array(LineQueueSummarySchema),
  /** Callers to call back: how many, and since when the oldest waits. */
  callbacksOpen: z.number().int().nonnegative(),
  oldestCallbackAt: EpochMsSchema.nullable(),
  /** Calls that reached the lines since midnight (the department's time), and those abandoned. */
  receivedToday: z.number().int().nonnegative(),
  abandonedToday: z.number().int().nonnegative(),
  /** Conversations of today whose recording failed (to start, or to be stored): an alert. */
  recordingFailuresToday: z.number().int().nonnegative(),
});
export type LinesStatus = z.infer<typeof LinesStatusSchema>;

/** What a center without a call distributor (or a workstation not told yet) has. */
export const NO_LINES: LinesStatus = { enabled: false, connected: false, lines: [], callbacksOpen: 0, oldestCallbackAt: null, receivedToday: 0, abandonedToday: 0, recordingFailuresToday: 0 };

export const CallbackResultSchema = z.strictObject({
  /** The SIP Call-ID of the callback call, when one was placed. */
  callId: z.string().min(1).max(200).nullable(),
  /** Reached: the entry is closed; not reached: it goes back to the list. */
  reached: z.boolean(),
  caseId: IdSchema.nullable(),
});
export type CallbackResult = z.infer<typeof CallbackResultSchema>;

/** A recording of a conversation, as a case lists it. */
export const RecordingViewSchema = z.strictObject({
  id: IdSchema,
  callId: z.string().min(1).max(200),
  line: shortText(32),
  startedAt: EpochMsSchema,
  durationMs: z.number().int().nonnegative(),
  /** Deleted at the end of its retention: listed, not playable. */
  purged: z.boolean(),
});
export type RecordingView = z.infer<typeof RecordingViewSchema>;

/** A supervisor's export for a legal request: why (a requisition's reference), kept in the audit. */
export const RecordingExportRequestSchema = z.strictObject({ reason: z.string().trim().min(5, 'motif de l’export : 5 caractères au moins').max(300) });
