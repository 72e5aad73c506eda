/**
 * The notification cascade, as a pure state machine driven by a clock the caller passes in.
 * A request goes to tiers of doctors in turn: the patient's treating doctor (when subscribed and
 * available), then the available subscribed doctors of the patient's sector, then adjacent
 * sectors, then the rest of the department. A tier's deadline passing (or every doctor asked
 * so far declining) opens the next tier; doctors asked earlier may still accept. The first
 * acceptance wins. When the last tier's deadline passes with no acceptance, the request comes
 * back to the regulator as unanswered (an alert).
 */
import type { AvailabilityProfile, Effector, Need, RequestState } from '../schemas/effectors.js';
import type { Sector } from '../schemas/directory.js';
import { availableEffectors, canTake } from './effector-availability.js';
import { ok, type Result } from './result.js';

export interface CascadeSettings {
  /** How long the treating doctor alone has the request. */
  treatingDoctorMs: number;
  /** How long each further tier has before the next one is asked. */
  tierMs: number;
}
export const DEFAULT_CASCADE_SETTINGS: CascadeSettings = { treatingDoctorMs: 10 * 60_000, tierMs: 10 * 60_000 };

export interface Tier {
  label: string;
  effectorIds: string[];
  /** The treating doctor's own tier. */
  treating: boolean;
}

export interface CascadeState {
  state: RequestState;
  tiers: Tier[];
  /** Index of the last tier asked. */
  tier: number;
  tierStartedAt: number;
  answers: Record<string, { answer: 'accepted' | 'declined'; at: number }>;
  notifiedAt: Record<string, number>;
  acceptedBy: string | null;
  settings: CascadeSettings;
}

/** The tiers of a request, from the directory and the profiles at `at`. Empty tiers are left out. */
export function planTiers(input: {
  effectors: readonly Effector[];
  profiles: ReadonlyMap<string, AvailabilityProfile>;
  sectors: readonly Sector[];
  need: Need;
  at: number;
  sectorCode?: string;
  treatingDoctorId?: string;
  seed: number;
}): Tier[] {
  const subscribed = input.effectors.filter((e) => e.participation.cascade);
  const tiers: Tier[] = [];
  const treating = subscribed.find((e) => e.id === input.treatingDoctorId);
  if (treating && canTake(treating, input.profiles.get(treating.id), input.need, input.at).ok) {
    tiers.push({ label: 'Médecin traitant', effectorIds: [treating.id], treating: true });
  }
  const others = availableEffectors(
    subscribed.filter((e) => e.id !== treating?.id),
    input.profiles,
    input.sectors,
    { need: input.need, at: input.at, seed: input.seed, ...(input.sectorCode ? { sectorCode: input.sectorCode } : {}) },
  );
  const labels = ['Médecins du secteur', 'Secteurs voisins', 'Reste du département'];
  for (const rank of [0, 1, 2] as const) {
    const ids = others.filter((o) => o.nearness === rank).map((o) => o.effector.id);
    if (ids.length) tiers.push({ label: labels[rank]!, effectorIds: ids, treating: false });
  }
  return tiers;
}

export function startCascade(tiers: Tier[], at: number, settings: CascadeSettings): CascadeState {
  const s: CascadeState = { state: tiers.length ? 'open' : 'unanswered', tiers, tier: 0, tierStartedAt: at, answers: {}, notifiedAt: {}, acceptedBy: null, settings };
  for (const id of tiers[0]?.effectorIds ?? []) s.notifiedAt[id] = at;
  return s;
}

const deadlineOf = (s: CascadeState) => s.tierStartedAt + (s.tiers[s.tier]?.treating ? s.settings.treatingDoctorMs : s.settings.tierMs);

/** When the cascade must be looked at again (null when it is over). */
export function nextDeadline(s: CascadeState): number | null {
  return s.state === 'open' ? deadlineOf(s) : null;
}

/** Doctors asked so far. */
export function asked(s: CascadeState): string[] {
  return Object.keys(s.notifiedAt);
}

function openNextTier(s: CascadeState, at: number): CascadeState {
  if (s.tier + 1 >= s.tiers.length) return { ...s, state: 'unanswered' };
  const tier = s.tier + 1;
  const notifiedAt = { ...s.notifiedAt };
  for (const id of s.tiers[tier]!.effectorIds) notifiedAt[id] ??= at;
  return { ...s, tier, tierStartedAt: at, notifiedAt };
}

/** Advance the clock: every deadline passed by `at` opens the next tier (or ends the request). */
export function advance(s: CascadeState, at: number): CascadeState {
  let cur = s;
  while (cur.state === 'open' && at >= deadlineOf(cur)) cur = openNextTier(cur, deadlineOf(cur));
  return cur;
}

export type AnswerError = 'closed' | 'already_taken' | 'not_asked' | 'already_answered';
const err = (e: AnswerError): Result<never, AnswerError> => ({ ok: false, error: e });

export function accept(s: CascadeState, effectorId: string, at: number): Result<CascadeState, AnswerError> {
  const cur = advance(s, at);
  if (cur.state === 'accepted') return err(cur.acceptedBy === effectorId ? 'already_answered' : 'already_taken');
  if (cur.state !== 'open') return err('closed');
  if (cur.notifiedAt[effectorId] === undefined) return err('not_asked');
  if (cur.answers[effectorId]) return err('already_answered');
  return ok({ ...cur, state: 'accepted', acceptedBy: effectorId, answers: { ...cur.answers, [effectorId]: { answer: 'accepted', at } } });
}

export function decline(s: CascadeState, effectorId: string, at: number): Result<CascadeState, AnswerError> {
  const cur = advance(s, at);
  if (cur.state !== 'open') return err(cur.state === 'accepted' ? 'already_taken' : 'closed');
  if (cur.notifiedAt[effectorId] === undefined) return err('not_asked');
  if (cur.answers[effectorId]) return err('already_answered');
  let next: CascadeState = { ...cur, answers: { ...cur.answers, [effectorId]: { answer: 'declined', at } } };
  // Everybody asked so far said no: no point waiting for the deadline.
  if (asked(next).every((id) => next.answers[id])) next = openNextTier(next, at);
  return ok(next);
}

export function cancel(s: CascadeState): CascadeState {
  return s.state === 'open' || s.state === 'unanswered' ? { ...s, state: 'cancelled' } : s;
}
