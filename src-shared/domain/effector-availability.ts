/**
 * Who can take a patient now: an effector's participation (from the directory) and availability
 * profile (visits / consultations, unavailability periods per place). An unavailability ends by
 * itself at its end time: nothing has to run for the profile to come back.
 */
import type { AvailabilityProfile, Effector, Need, Place, UnavailabilityRequest } from '../schemas/effectors.js';
import type { Sector } from '../schemas/directory.js';

export const DAY_MS = 24 * 3600_000;

const covers = (u: AvailabilityProfile['unavailable'][number], at: number) => u.from <= at && (u.to === null || at < u.to);

/** The period an unavailability preset stands for, from `now`. */
export function unavailabilityRange(req: UnavailabilityRequest, now: number): { from: number; to: number | null } {
  switch (req.preset) {
    case '24h':
      return { from: now, to: now + DAY_MS };
    case 'week':
      return { from: now, to: now + 7 * DAY_MS };
    case 'indefinite':
      return { from: now, to: null };
    case 'range':
      return { from: req.from, to: req.to };
  }
}

/** Places where the effector consults at `at` (every place unless made unavailable). */
export function openPlaces(effector: Effector, profile: AvailabilityProfile | undefined, at: number): Place[] {
  const periods = (profile?.unavailable ?? []).filter((u) => covers(u, at));
  if (periods.some((u) => u.placeId === null)) return [];
  return effector.places.filter((p) => !periods.some((u) => u.placeId === p.id));
}

/** Whether the effector can take this need at `at`, and where (for a consultation). */
export function canTake(effector: Effector, profile: AvailabilityProfile | undefined, need: Need, at: number): { ok: boolean; places: Place[] } {
  const places = openPlaces(effector, profile, at);
  if (need === 'visit') {
    const wholly = (profile?.unavailable ?? []).some((u) => u.placeId === null && covers(u, at));
    const ok = effector.participation.visits && (profile?.visits ?? true) && !wholly;
    return { ok, places: ok ? places : [] };
  }
  const ok = effector.participation.consultations && (profile?.consultations ?? true) && places.length > 0;
  return { ok, places: ok ? places : [] };
}

/** When the effector's current unavailability (covering every place) ends: null when none or open-ended. */
export function availableAgainAt(profile: AvailabilityProfile | undefined, at: number): number | null | undefined {
  const current = (profile?.unavailable ?? []).filter((u) => u.placeId === null && covers(u, at));
  if (current.length === 0) return undefined;
  if (current.some((u) => u.to === null)) return null;
  return Math.max(...current.map((u) => u.to!));
}

export type Nearness = 0 | 1 | 2;
/** 0: serves the patient's sector; 1: serves an adjacent sector; 2: elsewhere in the department. */
export function nearness(effector: Effector, sectorCode: string | undefined, sectors: readonly Sector[]): Nearness {
  if (!sectorCode) return 2;
  if (effector.sectors.includes(sectorCode)) return 0;
  const adjacent = sectors.find((s) => s.code === sectorCode)?.adjacent ?? [];
  return effector.sectors.some((s) => adjacent.includes(s)) ? 1 : 2;
}

/**
 * A deterministic shuffle (mulberry32 seeded): inside one nearness rank, the order favours no
 * doctor, and the same request keeps the same order when it is recomputed.
 */
export function fairOrder<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A seed from a text (a request id): the same id gives the same order. */
export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface AvailableEffector {
  effector: Effector;
  nearness: Nearness;
  places: Place[];
}

/** Effectors who can take `need` now, the patient's sector first, then adjacent sectors, then the rest; fair order inside each. */
export function availableEffectors(
  effectors: readonly Effector[],
  profiles: ReadonlyMap<string, AvailabilityProfile>,
  sectors: readonly Sector[],
  query: { need: Need; at: number; sectorCode?: string; seed: number },
): AvailableEffector[] {
  const found: AvailableEffector[] = [];
  for (const effector of effectors) {
    const c = canTake(effector, profiles.get(effector.id), query.need, query.at);
    if (c.ok) found.push({ effector, nearness: nearness(effector, query.sectorCode, sectors), places: c.places });
  }
  return fairOrder(found, query.seed).sort((a, b) => a.nearness - b.nearness);
}
