/**
 * Indicators against fixtures checked by hand (figures in the comments). Côte-d’Or (21), Paris time.
 */
import { describe, expect, it } from 'vitest';
import {
  activityStatistics,
  callsPerHalfHour,
  callIndicators,
  caseFactOf,
  periodOfDays,
  type CallFact,
  type CaseFact,
} from '../../src-shared/domain/statistics.js';
import { replay } from '../../src-shared/domain/case-lifecycle.js';

/** An instant from a Paris wall-clock time (winter UTC+1, summer UTC+2), written out by hand. */
const paris = (iso: string, offsetHours: number) => Date.parse(`${iso}:00.000Z`) - offsetHours * 3_600_000;
const call = (arrivedAt: number, answerAfterS: number | null, over: Partial<CallFact> = {}): CallFact => ({
  direction: 'in',
  internalTransfer: false,
  arrivedAt,
  answeredAt: answerAfterS === null ? null : arrivedAt + answerAfterS * 1000,
  transferred: false,
  sectorId: null,
  ...over,
});

describe('call indicators', () => {
  const t = paris('2026-11-25T21:00', 1);
  const calls = [
    call(t, 5), // answered at 5 s
    call(t + 60_000, 30), // exactly 30 s: within 30 s
    call(t + 120_000, 31), // 31 s: within 60 s only
    call(t + 180_000, 60), // exactly 60 s: within 60 s
    call(t + 240_000, null), // abandoned at 59 s (the caller hung up while it rang)
    call(t + 300_000, 12, { transferred: true }), // answered, then transferred to the SAMU
    call(t + 301_000, 2, { internalTransfer: true }), // the transferred leg at the SAMU's phone: not a new call
    call(t + 400_000, 0, { direction: 'out' }), // a callback
    call(t + 500_000, null, { stillRinging: true }), // ringing right now: neither answered nor abandoned yet
  ];

  it('counts received, answered, abandoned and transferred calls; the transfer leg and callbacks apart', () => {
    const s = callIndicators(calls);
    // received: 6 incoming (the leg is not one); answered 5; abandoned 1; 1 transferred; 1 outgoing
    expect(s).toMatchObject({ received: 6, answered: 5, abandoned: 1, transferred: 1, outgoing: 1 });
    // within 30 s: 5 s, 30 s, 12 s = 3 → 3/6; within 60 s: + 31 s and 60 s = 5 → 5/6
    expect(s.answeredWithin30s).toBe(3);
    expect(s.answeredWithin60s).toBe(5);
    expect(s.shareWithin30s).toBeCloseTo(0.5);
    expect(s.shareWithin60s).toBeCloseTo(5 / 6);
    // waits sorted 5, 12, 30, 31, 60: median (nearest rank 3) 30 s, p90 (rank 5) 60 s
    expect(s.answerSeconds.median).toBe(30);
    expect(s.answerSeconds.p90).toBe(60);
    expect(s.answerSeconds.buckets.map((b) => b.count)).toEqual([1, 2, 2, 0, 0]);
  });

  it('says nothing rather than 0 % when no call came', () => {
    expect(callIndicators([]).shareWithin30s).toBeNull();
    expect(callIndicators([]).answerSeconds.median).toBeNull();
  });
});

describe('periods, midnight and the daylight-saving changes', () => {
  it('a day is local midnight to local midnight: 24 h, 23 h in spring, 25 h in autumn', () => {
    const day = periodOfDays('21', '2026-11-25', '2026-11-25');
    expect(day.from).toBe(paris('2026-11-25T00:00', 1));
    expect(day.to - day.from).toBe(24 * 3_600_000);
    const spring = periodOfDays('21', '2026-03-29', '2026-03-29');
    expect(spring.to - spring.from).toBe(23 * 3_600_000);
    const autumn = periodOfDays('21', '2026-10-25', '2026-10-25');
    expect(autumn.to - autumn.from).toBe(25 * 3_600_000);
  });

  it('a call that arrives before midnight and is answered after counts on its arrival day, in the PDSA night', () => {
    const arrived = paris('2026-11-25T23:59', 1) + 50_000; // 23:59:50
    const calls = [call(arrived, 30)]; // answered at 00:00:20 the next day
    const day1 = periodOfDays('21', '2026-11-25', '2026-11-25');
    const day2 = periodOfDays('21', '2026-11-26', '2026-11-26');
    const s1 = activityStatistics({ department: '21', ...day1, calls, cases: [] });
    const s2 = activityStatistics({ department: '21', ...day2, calls, cases: [] });
    expect(s1.calls.received).toBe(1);
    expect(s1.calls.answeredWithin30s).toBe(1);
    expect(s1.calls.pdsa.received).toBe(1);
    expect(s1.calls.daytime.received).toBe(0);
    expect(s2.calls.received).toBe(0);
  });

  it('PDSA against daytime on an ordinary Wednesday: 07:59 and 20:00 are PDSA, 08:00 and 19:59 are not', () => {
    const d = periodOfDays('21', '2026-11-25', '2026-11-25');
    const calls = ['07:59', '08:00', '19:59', '20:00'].map((h) => call(paris(`2026-11-25T${h}`, 1), 10));
    const s = activityStatistics({ department: '21', ...d, calls, cases: [] });
    expect(s.calls.pdsa.received).toBe(2);
    expect(s.calls.daytime.received).toBe(2);
  });

  it('calls per half-hour on the autumn change: the repeated hour adds up in its slots', () => {
    // 25 October 2026: 03:00 summer time becomes 02:00 winter time. 02:10 happens twice.
    const first = paris('2026-10-25T02:10', 2);
    const second = paris('2026-10-25T02:10', 1);
    expect(second - first).toBe(3_600_000);
    const slots = callsPerHalfHour([first, second, paris('2026-10-25T23:45', 1)], 'Europe/Paris');
    expect(slots).toHaveLength(48);
    expect(slots[4]).toBe(2); // 02:00–02:30
    expect(slots[47]).toBe(1);
    // Spring: 02:30 does not exist; 01:59 winter time is followed by 03:00 summer time.
    const spring = callsPerHalfHour([paris('2026-03-29T01:59', 1), paris('2026-03-29T03:00', 2)], 'Europe/Paris');
    expect(spring[3]).toBe(1);
    expect(spring[4]).toBe(0);
    expect(spring[6]).toBe(1);
  });
});

describe('case indicators', () => {
  const actor = (id: string) => ({ userId: id, displayName: `Dr ${id}`, role: 'physician' as const });
  const arm = { userId: 'arm1', displayName: 'ARM 1', role: 'arm' as const };
  const t = paris('2026-11-25T21:00', 1);
  let seq = 0;
  const ev = (kind: string, at: number, payload: unknown, who: { userId: string; displayName: string; role: 'arm' | 'physician' } = arm) => ({
    id: `00000000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
    caseId: '00000000-0000-7000-8000-00000000ca5e',
    kind,
    payload,
    actor: who,
    workstationId: 'ws',
    clientTime: at,
    localSeq: null,
    serverSeq: seq,
    serverTime: at,
  });

  it('a reopened case keeps its first regulation delay, counts once with its last decision, and as reopened', () => {
    const events = [
      ev('case.opened', t, { line: '116117', fields: { priority: 'P2', location: { sectorId: 'S1' } } }),
      ev('case.call_recorded', t + 1000, { call: { callId: 'c1', direction: 'in', line: '116117', remote: '0612345678', arrivedAt: t - 20_000, answeredAt: t - 10_000, endedAt: t + 200_000, holds: [] } }),
      ev('case.sent_to_regulation', t + 200_000, {}),
      ev('case.taken', t + 300_000, {}, actor('dr1')),
      ev('case.decided', t + 590_000, { decision: { code: 'PHONE_ADVICE' } }, actor('dr1')), // 600 s after the answer
      ev('case.reopened', t + 3_600_000, { reason: 'rappel, fièvre persistante' }, actor('dr2')),
      ev('case.taken', t + 3_700_000, {}, actor('dr2')),
      ev('case.decided', t + 3_900_000, { decision: { code: 'HOME_VISIT', effector: 'Dr Visite' } }, actor('dr2')),
    ];
    const state = replay(events as never)!;
    const fact: CaseFact = caseFactOf(state);
    expect(fact).toMatchObject({ priority: 'P2', sectorId: 'S1', decisionCode: 'HOME_VISIT', firstDecidedAt: t + 590_000, reopenCount: 1, firstAnsweredAt: t - 10_000, decidedById: 'dr2' });
    const d = periodOfDays('21', '2026-11-25', '2026-11-25');
    const other: CaseFact = { ...fact, priority: 'P3', sectorId: 'S2', decisionCode: 'CONSULTATION', firstDecidedAt: t + 120_000, firstAnsweredAt: null, reopenCount: 0, decidedById: 'dr1', decidedByName: 'Dr dr1' };
    const s = activityStatistics({ department: '21', ...d, calls: [], cases: [fact, other] });
    expect(s.cases.total).toBe(2);
    expect(s.cases.reopened).toBe(1);
    expect(s.cases.byDecision.HOME_VISIT).toBe(1);
    expect(s.cases.byDecision.PHONE_ADVICE).toBe(0);
    expect(s.cases.homeVisitsArranged).toBe(1);
    expect(s.cases.consultationsArranged).toBe(1);
    // delays: 600 s (from the answer) and 120 s (from the opening, no call): median rank 1 = 120 s
    expect(s.cases.regulationDelay).toEqual({ count: 2, medianSeconds: 120, p90Seconds: 600 });
    expect(s.cases.perPhysician.map((p) => [p.userId, p.decisions])).toEqual([['dr1', 1], ['dr2', 1]]);
    expect(s.cases.bySector).toEqual({ S1: 1, S2: 1 });
    const s1 = activityStatistics({ department: '21', ...d, sectorId: 'S1', calls: [], cases: [fact, other] });
    expect(s1.cases.total).toBe(1);
  });

  it('a case cancelled as opened by mistake counts nowhere (total, priorities, sectors)', () => {
    const events = [
      ev('case.opened', t, { line: '116117', fields: { priority: 'P3', location: { sectorId: 'S1' } } }),
      ev('case.cancelled', t + 5000, { reason: 'ouvert par erreur' }),
    ];
    const stray = caseFactOf(replay(events as never)!);
    expect(stray.cancelled).toBe(true);
    const kept = caseFactOf(replay([events[0]] as never)!);
    expect(kept.cancelled).toBe(false);
    const d = periodOfDays('21', '2026-11-25', '2026-11-25');
    const s = activityStatistics({ department: '21', ...d, calls: [], cases: [stray, kept] });
    expect(s.cases.total).toBe(1);
    expect(s.cases.byPriority.P3).toBe(1);
    expect(s.cases.bySector).toEqual({ S1: 1 });
  });
});

describe('PDSA classification of a period’s calls', () => {
  it('gives, quarter-hour by quarter-hour, the calendar’s own answer across the autumn change and two public holidays', async () => {
    const { pdsaAt } = await import('../../src-shared/domain/pdsa-calendar.js');
    const { pdsaClassifier } = await import('../../src-shared/domain/statistics.js');
    const inPdsa = pdsaClassifier('21');
    const start = paris('2026-10-20T00:00', 2); // 25 Oct: change of time; 1 and 11 Nov: holidays
    const wrong: string[] = [];
    for (let t = start; t < start + 26 * 24 * 3_600_000; t += 15 * 60_000) {
      const truth = pdsaAt(t, '21');
      if (inPdsa(t) !== truth.inPdsa) wrong.push(truth.localTime);
    }
    expect(wrong).toEqual([]);
  });
});
