/**
 * The call queue of a center's lines (116117, a department's number, the SAMU's transfers), as
 * the central server decides it: which waiting call goes to which agent, and when. Pure: the
 * server feeds it the parked calls and the agents' states, and carries out the offers it returns.
 *
 * Rules: a call transferred by the SAMU or a physician's callback line (a higher priority) goes
 * before new calls, then the longest waiting first; each goes to the agent who has been free the
 * longest among those who serve its line (or, on a line set to ring all, rings every free agent who
 * serves it at once: the first to pick up takes it); a call waiting longer than its line's overflow
 * delay may also go to the agents of the overflow line.
 */
import type { Role } from './codes.js';

export interface LineSettings {
  /** The number dialled (the Request-URI's user part): 116117, 3966, 0380..., a SAMU trunk's code. */
  number: string;
  tenant: string;
  /** Shown to agents and on the wall screen. */
  label: string;
  /** Who answers this line. */
  roles: Role[];
  /** Higher goes first (the SAMU's transfers over new calls). */
  priority: number;
  /** How long an agent's phone rings before the call goes back to the queue (seconds). */
  ringSeconds: number;
  /**
   * Who rings: the agent free the longest, then the next ('longest-idle', the default), or every
   * free agent of the line at once ('ring-all': a small center where everyone hears the phone).
   */
  distribution?: Distribution;
  /**
   * After this wait (seconds), the agents of `overflowTo` may take the call too; or, with
   * `overflowMessage` and no `overflowTo`, the caller hears that message and is called back. Null: never.
   */
  overflowAfterSeconds: number | null;
  overflowTo: string | null;
  overflowMessage?: string | null;
  /** The audio file played while waiting (announcement, then music), looped. */
  announcement: string;
  /** The number shown to the patient when an agent calls back an abandoned call. */
  callbackCallerId: string | null;
  /** Whether its conversations are recorded (every regulation line is; false: a benchmark's baseline). Default true. */
  record?: boolean;
  /** When the line takes calls: always, or during the PDSA periods of the center's calendar only. Default always. */
  hours?: 'always' | 'pdsa';
  /** Played to a caller outside the line's hours (the 15 for a vital emergency), before the call is ended. */
  closedAnnouncement?: string | null;
}

/** Whether a waiting call has waited past its line's delay and goes to the line's overflow message. */
export function overflowsToMessage(call: ParkedCall, line: LineSettings | undefined, now: number): boolean {
  return (
    call.offeredTo.length === 0 &&
    line !== undefined &&
    Boolean(line.overflowMessage) &&
    line.overflowTo === null &&
    line.overflowAfterSeconds !== null &&
    now - call.arrivedAt >= line.overflowAfterSeconds * 1000
  );
}

/** Whether the line takes calls now (`inPdsa`: the center's PDSA calendar at this instant). */
export function lineOpen(line: Pick<LineSettings, 'hours'>, inPdsa: boolean): boolean {
  return (line.hours ?? 'always') === 'always' || inPdsa;
}

export const DISTRIBUTIONS = ['longest-idle', 'ring-all'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export interface ParkedCall {
  callId: string;
  line: string;
  from: string;
  arrivedAt: number;
  /** The agents (SIP users) whose phones ring for it now (one, or all on a ring-all line); empty while it waits. */
  offeredTo: string[];
  offeredAt: number | null;
  /** Agents that were offered it and did not take it. */
  declinedBy: string[];
}

export interface QueueAgent {
  userId: string;
  sipUser: string;
  role: Role;
  /** Free since (the agent's state is "available"), or null when not free. */
  freeSince: number | null;
}

export interface Offer {
  callId: string;
  /** Whose phones ring: one agent, or every free one on a ring-all line. */
  agents: QueueAgent[];
  ringMs: number;
}

/** How long an agent's phone rings for a call of this line (ms; 20 s for an unknown line). */
export function ringMsOf(line: Pick<LineSettings, 'ringSeconds'> | undefined): number {
  return (line?.ringSeconds ?? 20) * 1000;
}

/** The lines an agent of this call may come from, at this time (its own, then its overflow's). */
export function eligibleRoles(call: ParkedCall, lines: ReadonlyMap<string, LineSettings>, now: number): Set<Role> {
  const line = lines.get(call.line);
  if (!line) return new Set();
  const roles = new Set(line.roles);
  if (line.overflowTo && line.overflowAfterSeconds !== null && now - call.arrivedAt >= line.overflowAfterSeconds * 1000) {
    for (const r of lines.get(line.overflowTo)?.roles ?? []) roles.add(r);
  }
  return roles;
}

/** Waiting calls in the order they are served: priority, then arrival. */
export function servingOrder(calls: readonly ParkedCall[], lines: ReadonlyMap<string, LineSettings>): ParkedCall[] {
  const priority = (c: ParkedCall) => lines.get(c.line)?.priority ?? 0;
  return calls.filter((c) => c.offeredTo.length === 0).sort((a, b) => priority(b) - priority(a) || a.arrivedAt - b.arrivedAt || (a.callId < b.callId ? -1 : 1));
}

/**
 * The offers to make now. An agent whose phone already rings for a call, or who is not free, gets
 * none; an agent who let a call ring out is not offered that same call again while others could.
 * A call of a ring-all line rings every free agent who may take it (so the next waiting call of
 * that line rings those left, if any, once it is answered).
 */
export function chooseOffers(calls: readonly ParkedCall[], agents: readonly QueueAgent[], lines: ReadonlyMap<string, LineSettings>, now: number): Offer[] {
  const ringing = new Set(calls.flatMap((c) => c.offeredTo));
  const free = agents
    .filter((a) => a.freeSince !== null && !ringing.has(a.sipUser))
    .sort((a, b) => a.freeSince! - b.freeSince! || (a.sipUser < b.sipUser ? -1 : 1));
  const offers: Offer[] = [];
  for (const call of servingOrder(calls, lines)) {
    if (free.length === 0) break;
    const roles = eligibleRoles(call, lines, now);
    const candidates = free.filter((a) => roles.has(a.role));
    const line = lines.get(call.line);
    const longestIdle = candidates.find((a) => !call.declinedBy.includes(a.sipUser)) ?? candidates[0];
    const chosen = line?.distribution === 'ring-all' ? candidates : longestIdle ? [longestIdle] : [];
    if (chosen.length === 0) continue;
    for (const agent of chosen) free.splice(free.indexOf(agent), 1);
    offers.push({ callId: call.callId, agents: chosen, ringMs: ringMsOf(line) });
  }
  return offers;
}

/** What the wall screen shows of a line's queue. */
export interface LineQueueSummary {
  line: string;
  label: string;
  waiting: number;
  /** Milliseconds the longest waiting caller has waited (0 when nobody waits). */
  longestWaitMs: number;
}

export function summarizeQueue(calls: readonly ParkedCall[], lines: ReadonlyMap<string, LineSettings>, tenant: string, now: number): LineQueueSummary[] {
  return [...lines.values()]
    .filter((l) => l.tenant === tenant)
    .map((l) => {
      const mine = calls.filter((c) => c.line === l.number);
      return { line: l.number, label: l.label, waiting: mine.length, longestWaitMs: mine.length ? now - Math.min(...mine.map((c) => c.arrivedAt)) : 0 };
    });
}
