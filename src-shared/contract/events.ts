/** Events the core pushes to the renderer. */
import { z } from 'zod';
import { CaseSummarySchema } from '../schemas/case.js';
import { EffectorsStateSchema, LinesStateSchema, SessionSchema, SyncStatusSchema } from './methods.js';
import { AgentPresenceSchema } from '../sync-protocol/messages.js';
import { CenterCallSchema } from '../schemas/call-log.js';

export const events = {
  /** A case changed on this workstation (or, from issue 3 on, arrived from the server). */
  'case.changed': z.strictObject({ summary: CaseSummarySchema, version: z.number().int() }),
  'session.changed': z.strictObject({ session: SessionSchema.nullable() }),
  /** Cases changed by the sync stream (a bounded list; refresh everything when `more`). */
  'cases.synced': z.strictObject({ caseIds: z.array(z.string()).max(500), more: z.boolean() }),
  'sync.state': SyncStatusSchema,
  /** The server refused one of this workstation's changes: it is undone on screen. */
  /** The center's agents and their states (pushed by the central server). */
  'agents.changed': z.strictObject({ agents: z.array(AgentPresenceSchema) }),
  /** Calls ringing or in progress in the center (pushed by the central server on every change). */
  'calls.changed': z.strictObject({ calls: z.array(CenterCallSchema) }),
  /** The lines' queues or the callback list changed (pushed by the central server). */
  'lines.changed': LinesStateSchema,
  /** The duty directory changed (an import here or elsewhere in the center). */
  'directory.changed': z.strictObject({ version: z.number().int() }),
  /** The center's PDSA rules changed (an admin, or read again from the server): the PDSA banner follows. */
  'pdsa.changed': z.strictObject({}),
  /** Effectors' availability or the requests to effectors changed (pushed by the central server). */
  'effectors.changed': EffectorsStateSchema,
  /** The shared agenda changed (slots published, held, booked): a search on screen is run again. */
  'agenda.changed': z.strictObject({ version: z.number().int() }),
  'hub.changed': z.strictObject({ version: z.number().int() }),
  'case.rejected': z.strictObject({ caseId: z.string(), reference: z.string().nullable(), code: z.string(), message: z.string() }),
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export const EVENT_NAMES = Object.keys(events) as EventName[];
export type EventPayload<E extends EventName> = z.output<Events[E]>;
