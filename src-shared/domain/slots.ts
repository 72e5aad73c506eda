/**
 * Rules of the shared agenda, pure: weekly recurrence on the department's wall clock (DST-safe),
 * search windows, places left in a slot (holds expire by themselves), booking state changes,
 * who sees what, and the figures of the offer (heat map per hour of the week, weekly hours per
 * doctor, incentive counts with their caps and exclusions).
 */
import { TZDate } from '@date-fns/tz';
import type { BookingState, Modality, Organisation, SearchWindow, Visibility } from '../schemas/slots.js';

export const HOLD_MS = 5 * 60_000;
const DAY = 24 * 3600_000;

/** The starts and ends of a slot repeated weekly, same wall-clock hours (a DST change keeps 18:00 at 18:00). */
export function weeklyOccurrences(start: number, end: number, repeatWeeks: number, timeZone: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const s = new TZDate(start, timeZone);
  const e = new TZDate(end, timeZone);
  for (let w = 0; w <= repeatWeeks; w++) {
    const ws = new TZDate(s.getFullYear(), s.getMonth(), s.getDate() + 7 * w, s.getHours(), s.getMinutes(), 0, 0, timeZone);
    const we = new TZDate(e.getFullYear(), e.getMonth(), e.getDate() + 7 * w, e.getHours(), e.getMinutes(), 0, 0, timeZone);
    out.push({ start: ws.getTime(), end: we.getTime() });
  }
  return out;
}

/** [from, to) of a search window at `now`, days on the department's clock. */
export function searchWindow(window: SearchWindow, now: number, timeZone: string): { from: number; to: number } {
  const d = new TZDate(now, timeZone);
  const midnight = (days: number) => new TZDate(d.getFullYear(), d.getMonth(), d.getDate() + days, 0, 0, 0, 0, timeZone).getTime();
  switch (window) {
    case 'today':
      return { from: now, to: midnight(1) };
    case 'tomorrow':
      return { from: midnight(1), to: midnight(2) };
    case 'day_after':
      return { from: midnight(2), to: midnight(3) };
    case '24h':
      return { from: now, to: now + DAY };
    case '48h':
      return { from: now, to: now + 2 * DAY };
  }
}

/** Bookings that take a place: a hold until it expires, and every booking not cancelled. */
export function takesPlace(b: { state: BookingState; heldUntil: number | null }, now: number): boolean {
  if (b.state === 'held') return b.heldUntil !== null && b.heldUntil > now;
  return b.state !== 'cancelled';
}

export function placesLeft(slot: { capacity: number; end: number; cancelled: boolean }, bookings: readonly { state: BookingState; heldUntil: number | null }[], now: number): number {
  if (slot.cancelled || slot.end <= now) return 0;
  return Math.max(0, slot.capacity - bookings.filter((b) => takesPlace(b, now)).length);
}

const NEXT: Record<BookingState, readonly BookingState[]> = {
  held: ['booked', 'cancelled'],
  booked: ['fulfilled', 'no_show', 'cancelled'],
  fulfilled: [],
  no_show: [],
  cancelled: [],
};
/** Whether a booking may go from one state to another (an expired hold cannot be confirmed). */
export function canMove(b: { state: BookingState; heldUntil: number | null }, to: BookingState, now: number): boolean {
  if (!NEXT[b.state].includes(to)) return false;
  if (b.state === 'held' && to === 'booked') return b.heldUntil !== null && b.heldUntil > now;
  return true;
}

/** null organisation: the center's own regulation, which sees every slot. */
export function visibleTo(slot: { visibility: Visibility; cpts: readonly string[] }, org: Organisation | null): boolean {
  if (!org) return true;
  if (!org.sees.includes(slot.visibility)) return false;
  return slot.visibility !== 'cpts' || slot.cpts.some((c) => org.cpts.includes(c));
}

// ---- figures of the offer -----------------------------------------------------------------

export interface OfferSlot {
  effectorId: string;
  start: number;
  end: number;
  capacity: number;
  modality: Modality;
  sectors: readonly string[];
  cancelled: boolean;
}

/** Hours offered per weekday (0 = Monday) and hour of the day, on the department's clock. */
export function heatmap(slots: readonly OfferSlot[], timeZone: string): number[][] {
  const grid = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  for (const s of slots) {
    if (s.cancelled) continue;
    // Walk the slot hour by hour (a slot is at most 12 h), counting the part of each hour it covers.
    let t = s.start;
    while (t < s.end) {
      const d = new TZDate(t, timeZone);
      const hourEnd = new TZDate(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours() + 1, 0, 0, 0, timeZone).getTime();
      const until = Math.min(hourEnd, s.end);
      grid[(d.getDay() + 6) % 7]![d.getHours()]! += (until - t) / 3600_000;
      t = until;
    }
  }
  return grid;
}

/** Hours of slots each doctor offers in [from, to) (what the SAS participation counts: 2 h a week). */
export function hoursOffered(slots: readonly OfferSlot[], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of slots) {
    if (s.cancelled) continue;
    const h = (Math.min(s.end, to) - Math.max(s.start, from)) / 3600_000;
    if (h > 0) out.set(s.effectorId, (out.get(s.effectorId) ?? 0) + h);
  }
  return out;
}

/** Sectors with no slot (not cancelled, not full) starting in [from, to). */
export function sectorsWithoutSlot(sectorCodes: readonly string[], slots: readonly (OfferSlot & { left: number })[], from: number, to: number): string[] {
  const covered = new Set(slots.filter((s) => !s.cancelled && s.left > 0 && s.start < to && s.end > from).flatMap((s) => s.sectors));
  return sectorCodes.filter((c) => !covered.has(c));
}

export interface IncentiveRules {
  /** Per eligible act, in cents (e.g. 1500). */
  amountPerActCents: number;
  /** Longest delay between the regulator's request and the consultation (ms; 48 h). */
  maxDelayMs: number;
  /** At most this many paid acts per doctor and ISO week (20); 0 = no cap. */
  weeklyCap: number;
  /** Acts for the doctor's own patients are not paid. */
  excludeOwnPatients: boolean;
}
export const SNP_MAJORATION: IncentiveRules = { amountPerActCents: 1500, maxDelayMs: 48 * 3600_000, weeklyCap: 20, excludeOwnPatients: true };

export interface Act {
  effectorId: string;
  /** When the patient was seen. */
  at: number;
  /** When the regulator asked (booking or request). */
  requestedAt: number;
  fulfilled: boolean;
  ownPatient: boolean;
}

export interface IncentiveCount {
  effectorId: string;
  acts: number;
  paid: number;
  excludedOwnPatients: number;
  excludedLate: number;
  overCap: number;
  amountCents: number;
}

/** ISO week key ("2026-W48") on the department's clock. */
export function isoWeek(at: number, timeZone: string): string {
  const d = new TZDate(at, timeZone);
  const day = (d.getDay() + 6) % 7;
  const thursday = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate() - day + 3));
  const week = Math.floor((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / (7 * DAY)) + 1;
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function incentiveCounts(acts: readonly Act[], rules: IncentiveRules, timeZone: string): IncentiveCount[] {
  const by = new Map<string, IncentiveCount>();
  const perWeek = new Map<string, number>();
  for (const a of [...acts].sort((x, y) => x.at - y.at)) {
    if (!a.fulfilled) continue;
    let c = by.get(a.effectorId);
    if (!c) by.set(a.effectorId, (c = { effectorId: a.effectorId, acts: 0, paid: 0, excludedOwnPatients: 0, excludedLate: 0, overCap: 0, amountCents: 0 }));
    c.acts += 1;
    if (rules.excludeOwnPatients && a.ownPatient) {
      c.excludedOwnPatients += 1;
      continue;
    }
    if (a.at - a.requestedAt > rules.maxDelayMs) {
      c.excludedLate += 1;
      continue;
    }
    const key = `${a.effectorId}/${isoWeek(a.at, timeZone)}`;
    const n = perWeek.get(key) ?? 0;
    if (rules.weeklyCap > 0 && n >= rules.weeklyCap) {
      c.overCap += 1;
      continue;
    }
    perWeek.set(key, n + 1);
    c.paid += 1;
    c.amountCents += rules.amountPerActCents;
  }
  return [...by.values()].sort((a, b) => b.paid - a.paid || a.effectorId.localeCompare(b.effectorId));
}
