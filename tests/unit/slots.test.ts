import { describe, expect, it } from 'vitest';
import { TZDate } from '@date-fns/tz';
import { canMove, heatmap, hoursOffered, incentiveCounts, isoWeek, placesLeft, searchWindow, sectorsWithoutSlot, SNP_MAJORATION, visibleTo, weeklyOccurrences, HOLD_MS, type Act } from '../../src-shared/domain/slots.js';
import { PublishSlotsSchema, type Organisation } from '../../src-shared/schemas/slots.js';

const TZ = 'Europe/Paris';
const paris = (y: number, m: number, d: number, h = 0, min = 0) => new TZDate(y, m - 1, d, h, min, 0, 0, TZ).getTime();
const H = 3600_000;

describe('shared agenda rules', () => {
  it('a weekly slot keeps its wall-clock hours across the DST change', () => {
    // Saturday 21 March 2026 18:00–20:00, repeated: the 28 March is the last Saturday of winter time.
    const occ = weeklyOccurrences(paris(2026, 3, 21, 18), paris(2026, 3, 21, 20), 2, TZ);
    expect(occ.map((o) => new TZDate(o.start, TZ).toString().slice(0, 21))).toEqual(['Sat Mar 21 2026 18:00', 'Sat Mar 28 2026 18:00', 'Sat Apr 04 2026 18:00']);
    expect(occ[2]!.start - occ[1]!.start).toBe(7 * 24 * H - H);
    expect(occ.every((o) => o.end - o.start === 2 * H)).toBe(true);
  });

  it('search windows: today until midnight, tomorrow, the day after, 24 h and 48 h from now', () => {
    const now = paris(2026, 10, 24, 22, 30); // the night before the autumn change (25 October 2026)
    expect(searchWindow('today', now, TZ)).toEqual({ from: now, to: paris(2026, 10, 25) });
    expect(searchWindow('tomorrow', now, TZ)).toEqual({ from: paris(2026, 10, 25), to: paris(2026, 10, 26) });
    expect(paris(2026, 10, 26) - paris(2026, 10, 25)).toBe(25 * H);
    expect(searchWindow('day_after', now, TZ).from).toBe(paris(2026, 10, 26));
    expect(searchWindow('48h', now, TZ)).toEqual({ from: now, to: now + 48 * H });
  });

  it('places left: a hold takes a place until it expires; a full range has none; a cancelled or past slot has none', () => {
    const now = paris(2026, 12, 24, 19);
    const range = { capacity: 3, end: now + 2 * H, cancelled: false };
    const held = { state: 'held' as const, heldUntil: now + HOLD_MS };
    const booked = { state: 'booked' as const, heldUntil: null };
    const cancelled = { state: 'cancelled' as const, heldUntil: null };
    expect(placesLeft(range, [held, booked, cancelled], now)).toBe(1);
    expect(placesLeft(range, [held, booked, cancelled], now + HOLD_MS)).toBe(2);
    expect(placesLeft(range, [booked, booked, booked], now)).toBe(0);
    expect(placesLeft({ ...range, cancelled: true }, [], now)).toBe(0);
    expect(placesLeft(range, [], now + 2 * H)).toBe(0);
  });

  it('booking states: held → booked (before expiry) → fulfilled / no-show / cancelled; no way back', () => {
    const now = 1_000_000;
    expect(canMove({ state: 'held', heldUntil: now + 1 }, 'booked', now)).toBe(true);
    expect(canMove({ state: 'held', heldUntil: now }, 'booked', now)).toBe(false);
    expect(canMove({ state: 'held', heldUntil: now }, 'cancelled', now)).toBe(true);
    expect(canMove({ state: 'booked', heldUntil: null }, 'no_show', now)).toBe(true);
    expect(canMove({ state: 'fulfilled', heldUntil: null }, 'cancelled', now)).toBe(false);
    expect(canMove({ state: 'cancelled', heldUntil: null }, 'booked', now)).toBe(false);
    expect(canMove({ state: 'booked', heldUntil: null }, 'held', now)).toBe(false);
  });

  it('visibility per organisation; the center’s regulation sees everything', () => {
    const ed: Organisation = { id: 'urg-chu', name: 'Urgences CHU', kind: 'emergency_department', sees: ['public', 'pro'], cpts: [], canBook: true };
    const cpts: Organisation = { id: 'cpts-dijon', name: 'CPTS Dijon', kind: 'cpts', sees: ['public', 'pro', 'cpts'], cpts: ['210780581'], canBook: true };
    expect(visibleTo({ visibility: 'snp', cpts: [] }, ed)).toBe(false);
    expect(visibleTo({ visibility: 'pro', cpts: [] }, ed)).toBe(true);
    expect(visibleTo({ visibility: 'cpts', cpts: ['210780581'] }, ed)).toBe(false);
    expect(visibleTo({ visibility: 'cpts', cpts: ['210780581'] }, cpts)).toBe(true);
    expect(visibleTo({ visibility: 'cpts', cpts: ['999999999'] }, cpts)).toBe(false);
    expect(visibleTo({ visibility: 'snp', cpts: [] }, null)).toBe(true);
  });

  it('publishing: a single slot takes one patient, a cabinet slot names its place, at most 12 h', () => {
    const base = { kind: 'single', start: 0, end: H, capacity: 1, modality: 'cabinet', placeId: 'cab', visibility: 'public', cpts: [], repeatWeeks: 0 } as const;
    expect(PublishSlotsSchema.safeParse(base).success).toBe(true);
    expect(PublishSlotsSchema.safeParse({ ...base, capacity: 2 }).error!.issues[0]!.message).toContain('un patient');
    expect(PublishSlotsSchema.safeParse({ ...base, placeId: null }).error!.issues[0]!.message).toContain('a un lieu');
    expect(PublishSlotsSchema.safeParse({ ...base, kind: 'range', capacity: 4, end: 13 * H }).error!.issues[0]!.message).toContain('douze heures');
    expect(PublishSlotsSchema.safeParse({ ...base, visibility: 'cpts' }).error!.issues[0]!.message).toContain('CPTS');
  });
});

describe('figures of the offer', () => {
  it('heat map per weekday and hour, weekly hours per doctor, sectors without any slot', () => {
    const mon18 = paris(2026, 11, 23, 18, 30);
    const slots = [
      { effectorId: 'a', start: mon18, end: mon18 + 2 * H, capacity: 4, modality: 'cabinet' as const, sectors: ['S1'], cancelled: false },
      { effectorId: 'b', start: paris(2026, 11, 29, 9), end: paris(2026, 11, 29, 9, 30), capacity: 1, modality: 'cabinet' as const, sectors: ['S2'], cancelled: false },
      { effectorId: 'b', start: paris(2026, 11, 29, 10), end: paris(2026, 11, 29, 11), capacity: 1, modality: 'cabinet' as const, sectors: ['S2'], cancelled: true },
    ];
    const grid = heatmap(slots, TZ);
    expect(grid[0]![18]).toBe(0.5);
    expect(grid[0]![19]).toBe(1);
    expect(grid[0]![20]).toBe(0.5);
    expect(grid[6]![9]).toBe(0.5);
    expect(grid[6]![10]).toBe(0);
    const hours = hoursOffered(slots, paris(2026, 11, 23), paris(2026, 11, 30));
    expect(Object.fromEntries(hours)).toEqual({ a: 2, b: 0.5 });
    expect(sectorsWithoutSlot(['S1', 'S2', 'S3'], slots.map((s) => ({ ...s, left: s.effectorId === 'a' ? 0 : 1 })), paris(2026, 11, 23), paris(2026, 11, 30))).toEqual(['S1', 'S3']);
  });

  it('the SNP majoration: 15 € per act within 48 h of the request, 20 a week at most, not for own patients', () => {
    const mon = paris(2026, 11, 23, 9);
    const acts: Act[] = [];
    for (let i = 0; i < 23; i++) acts.push({ effectorId: 'a', at: mon + i * H, requestedAt: mon + i * H - H, fulfilled: true, ownPatient: false });
    acts.push({ effectorId: 'a', at: paris(2026, 11, 30, 9), requestedAt: paris(2026, 11, 30, 8), fulfilled: true, ownPatient: false }); // next week: paid again
    acts.push({ effectorId: 'b', at: mon, requestedAt: mon - 49 * H, fulfilled: true, ownPatient: false }); // too late
    acts.push({ effectorId: 'b', at: mon, requestedAt: mon - H, fulfilled: true, ownPatient: true }); // own patient
    acts.push({ effectorId: 'b', at: mon, requestedAt: mon - H, fulfilled: false, ownPatient: false }); // no-show: not an act
    acts.push({ effectorId: 'b', at: mon, requestedAt: mon - 48 * H, fulfilled: true, ownPatient: false }); // exactly 48 h: paid
    const [a, b] = incentiveCounts(acts, SNP_MAJORATION, TZ);
    expect(a).toEqual({ effectorId: 'a', acts: 24, paid: 21, excludedOwnPatients: 0, excludedLate: 0, overCap: 3, amountCents: 21 * 1500 });
    expect(b).toEqual({ effectorId: 'b', acts: 3, paid: 1, excludedOwnPatients: 1, excludedLate: 1, overCap: 0, amountCents: 1500 });
  });

  it('ISO weeks on the department’s clock', () => {
    expect(isoWeek(paris(2026, 12, 28), TZ)).toBe('2026-W53');
    expect(isoWeek(paris(2027, 1, 1, 12), TZ)).toBe('2026-W53');
    expect(isoWeek(paris(2027, 1, 4), TZ)).toBe('2027-W01');
    expect(isoWeek(paris(2026, 11, 23, 0, 30), TZ)).toBe('2026-W48');
  });
});
