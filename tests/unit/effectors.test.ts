import { describe, expect, it } from 'vitest';
import { isAdeli, isFiness, isRpps, isSiret, luhnValid } from '../../src-shared/domain/identifiers.js';
import { availableAgainAt, availableEffectors, canTake, fairOrder, unavailabilityRange, DAY_MS } from '../../src-shared/domain/effector-availability.js';
import { accept, advance, asked, cancel, decline, nextDeadline, planTiers, startCascade, type CascadeSettings } from '../../src-shared/domain/cascade.js';
import { EffectorSchema, StructureSchema, type AvailabilityProfile } from '../../src-shared/schemas/effectors.js';
import type { Sector } from '../../src-shared/schemas/directory.js';
import { effector, rppsOf } from '../fixtures/effectors.js';

const T0 = Date.UTC(2026, 11, 24, 19, 0);
const MIN = 60_000;
const profile = (id: string, over: Partial<AvailabilityProfile> = {}): AvailabilityProfile => ({ effectorId: id, visits: true, consultations: true, unavailable: [], updatedAt: T0, ...over });

describe('identifiers', () => {
  it('checks RPPS, SIRET and FINESS keys and the ADELI format', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    const rpps = rppsOf(42);
    expect(isRpps(rpps)).toBe(true);
    expect(isRpps(rpps.slice(0, 10) + ((Number(rpps[10]) + 1) % 10))).toBe(false);
    expect(isRpps('1234567890')).toBe(false);
    expect(isFiness('210780581')).toBe(true); // CHU Dijon Bourgogne
    expect(isFiness('210780582')).toBe(false);
    expect(isSiret('73282932000074')).toBe(true);
    expect(isSiret('73282932000075')).toBe(false);
    expect(isAdeli('219876543')).toBe(true);
    expect(isAdeli('21987654')).toBe(false);
  });

  it('an effector has an RPPS, or an ADELI only when it has no RPPS; structures need a FINESS or a SIRET', () => {
    expect(EffectorSchema.safeParse(effector(1)).success).toBe(true);
    const both = EffectorSchema.safeParse({ ...effector(1), adeli: '219876543' });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]!.message).toContain('ADELI seulement sans RPPS');
    const { rpps: _r, ...adeliOnly } = effector(1);
    expect(EffectorSchema.safeParse({ ...adeliOnly, id: '219876543', adeli: '219876543' }).success).toBe(true);
    expect(EffectorSchema.safeParse({ ...effector(1), rpps: '10000000001', id: '10000000001' }).error!.issues[0]!.message).toContain('RPPS invalide');
    expect(StructureSchema.safeParse({ id: '210780581', finess: '210780581', kind: 'CPTS', name: 'CPTS Dijon', inseeCode: '21231' }).success).toBe(true);
    expect(StructureSchema.safeParse({ id: 'x', kind: 'CPTS', name: 'CPTS Dijon', inseeCode: '21231' }).success).toBe(false);
  });
});

describe('availability', () => {
  it('an unavailability of 24 h or a week ends by itself; an open-ended one does not', () => {
    const e = effector(1);
    const day = unavailabilityRange({ preset: '24h', placeId: null }, T0);
    const p = profile(e.id, { unavailable: [{ id: '00000000-0000-7000-8000-000000000001', ...day, placeId: null }] });
    expect(canTake(e, p, 'visit', T0).ok).toBe(false);
    expect(canTake(e, p, 'consultation', T0 + DAY_MS - 1).ok).toBe(false);
    expect(availableAgainAt(p, T0)).toBe(T0 + DAY_MS);
    expect(canTake(e, p, 'visit', T0 + DAY_MS).ok).toBe(true);
    expect(canTake(e, p, 'consultation', T0 + DAY_MS).ok).toBe(true);
    const week = unavailabilityRange({ preset: 'week', placeId: null }, T0);
    expect(week.to! - week.from).toBe(7 * DAY_MS);
    const forever = profile(e.id, { unavailable: [{ id: '00000000-0000-7000-8000-000000000002', ...unavailabilityRange({ preset: 'indefinite', placeId: null }, T0), placeId: null }] });
    expect(canTake(e, forever, 'visit', T0 + 365 * DAY_MS).ok).toBe(false);
    expect(availableAgainAt(forever, T0)).toBeNull();
  });

  it('a range in the future does not count yet; per place it closes only that place', () => {
    const e = effector(1, { places: [effector(1).places[0]!, { id: 'mmg', kind: 'mmg', name: 'MMG Dijon', address: 'CHU', inseeCode: '21231' }] });
    const p = profile(e.id, { unavailable: [{ id: '00000000-0000-7000-8000-000000000003', from: T0 + 60 * MIN, to: T0 + 120 * MIN, placeId: 'cab' }] });
    expect(canTake(e, p, 'consultation', T0).places.map((x) => x.id)).toEqual(['cab', 'mmg']);
    expect(canTake(e, p, 'consultation', T0 + 90 * MIN).places.map((x) => x.id)).toEqual(['mmg']);
    // A place closed does not stop home visits.
    expect(canTake(e, p, 'visit', T0 + 90 * MIN).ok).toBe(true);
  });

  it('the profile and the participation decide visits and consultations', () => {
    expect(canTake(effector(1, { participation: { visits: false } }), undefined, 'visit', T0).ok).toBe(false);
    expect(canTake(effector(1), profile(rppsOf(1), { consultations: false }), 'consultation', T0).ok).toBe(false);
    expect(canTake(effector(1), profile(rppsOf(1), { consultations: false }), 'visit', T0).ok).toBe(true);
  });

  it('lists the patient’s sector first, adjacent sectors next, and a fair order inside each', () => {
    const sectors: Sector[] = [
      { code: 'S1', name: 'Dijon', communes: ['21231'], adjacent: ['S2'] },
      { code: 'S2', name: 'Beaune', communes: ['21054'], adjacent: ['S1'] },
      { code: 'S3', name: 'Montbard', communes: ['21425'] },
    ];
    const all = [effector(1, { sectors: ['S3'] }), effector(2, { sectors: ['S2'] }), effector(3), effector(4), effector(5), effector(6)];
    const found = availableEffectors(all, new Map(), sectors, { need: 'visit', at: T0, sectorCode: 'S1', seed: 7 });
    expect(found.map((f) => f.nearness)).toEqual([0, 0, 0, 0, 1, 2]);
    expect(found.at(-1)!.effector.id).toBe(rppsOf(1));
    // Over many requests, each of the four sector doctors comes first about as often.
    const firsts = new Map<string, number>();
    for (let seed = 0; seed < 4000; seed++) {
      const id = availableEffectors(all, new Map(), sectors, { need: 'visit', at: T0, sectorCode: 'S1', seed })[0]!.effector.id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    expect(firsts.size).toBe(4);
    for (const n of firsts.values()) expect(n).toBeGreaterThan(850);
    expect(fairOrder([1, 2, 3, 4, 5], 3)).toEqual(fairOrder([1, 2, 3, 4, 5], 3));
  });
});

describe('notification cascade', () => {
  const settings: CascadeSettings = { treatingDoctorMs: 10 * MIN, tierMs: 5 * MIN };
  const sectors: Sector[] = [
    { code: 'S1', name: 'Dijon', communes: ['21231'], adjacent: ['S2'] },
    { code: 'S2', name: 'Beaune', communes: ['21054'] },
  ];
  const treating = effector(1);
  const pool = [treating, effector(2), effector(3), effector(4, { sectors: ['S2'] }), effector(5, { participation: { cascade: false } })];
  const plan = (over: { profiles?: Map<string, AvailabilityProfile>; treatingDoctorId?: string } = {}) =>
    planTiers({ effectors: pool, profiles: over.profiles ?? new Map(), sectors, need: 'visit', at: T0, sectorCode: 'S1', treatingDoctorId: over.treatingDoctorId ?? treating.id, seed: 1 });

  it('asks the treating doctor first, then the sector, then adjacent sectors; never a doctor who is not subscribed', () => {
    const tiers = plan();
    expect(tiers.map((t) => t.label)).toEqual(['Médecin traitant', 'Médecins du secteur', 'Secteurs voisins']);
    expect(tiers[0]!.effectorIds).toEqual([treating.id]);
    expect(tiers[1]!.effectorIds.sort()).toEqual([rppsOf(2), rppsOf(3)].sort());
    expect(tiers.flatMap((t) => t.effectorIds)).not.toContain(rppsOf(5));

    let s = startCascade(tiers, T0, settings);
    expect(asked(s)).toEqual([treating.id]);
    expect(nextDeadline(s)).toBe(T0 + 10 * MIN);
    s = advance(s, T0 + 10 * MIN - 1);
    expect(s.tier).toBe(0);
    s = advance(s, T0 + 10 * MIN);
    expect(s.tier).toBe(1);
    expect(asked(s).sort()).toEqual([treating.id, rppsOf(2), rppsOf(3)].sort());
    expect(s.notifiedAt[rppsOf(2)]).toBe(T0 + 10 * MIN);
    // The treating doctor may still accept after his deadline.
    const late = accept(s, treating.id, T0 + 11 * MIN);
    expect(late.ok && late.value.acceptedBy).toBe(treating.id);
  });

  it('nobody accepts in time: every tier is asked in turn, then the request comes back unanswered', () => {
    let s = startCascade(plan(), T0, settings);
    s = advance(s, T0 + 10 * MIN + 5 * MIN);
    expect(s.tier).toBe(2);
    expect(asked(s)).toContain(rppsOf(4));
    expect(s.state).toBe('open');
    s = advance(s, T0 + 10 * MIN + 10 * MIN);
    expect(s.state).toBe('unanswered');
    expect(nextDeadline(s)).toBeNull();
    expect(accept(s, rppsOf(2), T0 + 21 * MIN)).toEqual({ ok: false, error: 'closed' });
  });

  it('advancing far at once passes the tiers with their own deadlines', () => {
    const s = advance(startCascade(plan(), T0, settings), T0 + 12 * MIN);
    expect(s.tier).toBe(1);
    expect(s.tierStartedAt).toBe(T0 + 10 * MIN);
  });

  it('the first acceptance wins; the others are told it is taken; a doctor not asked yet cannot accept', () => {
    const s = advance(startCascade(plan(), T0, settings), T0 + 10 * MIN);
    expect(accept(s, rppsOf(4), T0 + 10 * MIN + 1)).toEqual({ ok: false, error: 'not_asked' });
    const won = accept(s, rppsOf(3), T0 + 10 * MIN + 2);
    expect(won.ok).toBe(true);
    const won2 = won.ok ? won.value : s;
    expect(accept(won2, rppsOf(2), T0 + 10 * MIN + 2)).toEqual({ ok: false, error: 'already_taken' });
    expect(decline(won2, rppsOf(2), T0 + 10 * MIN + 3)).toEqual({ ok: false, error: 'already_taken' });
    expect(won2.acceptedBy).toBe(rppsOf(3));
  });

  it('when everybody asked declines, the next tier is asked at once', () => {
    let s = startCascade(plan(), T0, settings);
    const d = decline(s, treating.id, T0 + MIN);
    s = d.ok ? d.value : s;
    expect(s.tier).toBe(1);
    expect(s.tierStartedAt).toBe(T0 + MIN);
    expect(decline(s, treating.id, T0 + 2 * MIN)).toEqual({ ok: false, error: 'already_answered' });
  });

  it('an unavailable or unsubscribed treating doctor is skipped; no doctor at all → unanswered at once', () => {
    const profiles = new Map([[treating.id, profile(treating.id, { visits: false })]]);
    expect(plan({ profiles })[0]!.label).toBe('Médecins du secteur');
    expect(plan({ treatingDoctorId: rppsOf(5) })[0]!.label).toBe('Médecins du secteur');
    expect(startCascade([], T0, settings).state).toBe('unanswered');
    expect(cancel(startCascade(plan(), T0, settings)).state).toBe('cancelled');
  });
});

describe('demo center', () => {
  it('its sectors and effectors are valid directory rows', async () => {
    const { DEMO_EFFECTORS, DEMO_SECTORS } = await import('../../src-server/demo.js');
    const { SectorSchema } = await import('../../src-shared/schemas/directory.js');
    for (const e of DEMO_EFFECTORS) expect(EffectorSchema.safeParse(e).error).toBeUndefined();
    for (const s of DEMO_SECTORS) expect(SectorSchema.safeParse(s).error).toBeUndefined();
  });
});
