/** Events the core pushes to the renderer. */
import { z } from 'zod';
import { CaseSummarySchema } from '../schemas/case.js';
import { SessionSchema } from './methods.js';

export const events = {
  /** A case changed on this workstation (or, from issue 3 on, arrived from the server). */
  'case.changed': z.strictObject({ summary: CaseSummarySchema, version: z.number().int() }),
  'session.changed': z.strictObject({ session: SessionSchema.nullable() }),
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export const EVENT_NAMES = Object.keys(events) as EventName[];
export type EventPayload<E extends EventName> = z.output<Events[E]>;
