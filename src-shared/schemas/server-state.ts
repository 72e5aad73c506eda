/**
 * The central server's side as one state, for the supervisors' wall screen: normal, degraded (it
 * works, but one more failure would stop it: the database's synchronous standby is missing), or a
 * failover in progress (the center has no writing instance right now). The details are for the
 * operations team; the wall says it in one line.
 */
import { z } from 'zod';

export const SERVER_STATES = ['ok', 'degraded', 'failover'] as const;

export const ServerStateSchema = z.strictObject({
  state: z.enum(SERVER_STATES),
  /** Why, in French, one line each (empty when everything is normal). */
  reasons: z.array(z.string().max(300)).max(10),
  /** The instance that answered. */
  instance: z.string().max(200),
  /** The instance that writes for this center, if one does. */
  holder: z.string().max(200).nullable(),
  at: z.number().int(),
});
export type ServerState = z.infer<typeof ServerStateSchema>;
