import { describe, expect, it } from 'vitest';
import { isWaiting, mergeCallReport, RING_STALE_MS } from '../../src-shared/domain/call-log.js';
import type { CallAgent, CallReport, CenterCall } from '../../src-shared/schemas/call-log.js';

const T = Date.UTC(2026, 10, 25, 20, 0, 0);
const arm1: CallAgent = { userId: 'u-arm1', displayName: 'ARM 1', role: 'arm', workstation: 'ws-1' };
const arm2: CallAgent = { userId: 'u-arm2', displayName: 'ARM 2', role: 'arm', workstation: 'ws-2' };
let n = 0;
const report = (over: Partial<CallReport>): CallReport => ({
  id: `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
  callId: 'call-1',
  direction: 'in',
  line: '116117',
  remote: '0612345678',
  state: 'ringing',
  arrivedAt: T,
  answeredAt: null,
  endedAt: null,
  endReason: null,
  ...over,
});
const fold = (steps: [CallReport, CallAgent][]) => steps.reduce<CenterCall | undefined>((c, [r, a]) => mergeCallReport(c, r, a), undefined)!;

describe('merging the phones’ reports of a call', () => {
  const ringing1 = report({ arrivedAt: T + 40 });
  const ringing2 = report({ arrivedAt: T });
  const answered1 = report({ state: 'answered', arrivedAt: T + 40, answeredAt: T + 12_000 });
  const cancelled2 = report({ state: 'ended', arrivedAt: T, endedAt: T + 12_010, endReason: 'answered_elsewhere' });
  const ended1 = report({ state: 'ended', arrivedAt: T + 40, answeredAt: T + 12_000, endedAt: T + 300_000, endReason: 'caller_hung_up', caseId: '0190c0de-0000-7000-8000-000000000001' });
  const steps: [CallReport, CallAgent][] = [
    [ringing1, arm1],
    [ringing2, arm2],
    [answered1, arm1],
    [cancelled2, arm2],
    [ended1, arm1],
  ];

  it('two phones ring, one answers: one call, arrived when the first rang, answered by that phone', () => {
    const mid = fold(steps.slice(0, 3));
    expect(mid.status).toBe('in_progress');
    expect(mid.arrivedAt).toBe(T);
    expect(mid.answeredBy?.userId).toBe('u-arm1');
    const done = fold(steps);
    expect(done).toMatchObject({ status: 'ended', answeredAt: T + 12_000, endedAt: T + 300_000, endReason: 'caller_hung_up', caseId: '0190c0de-0000-7000-8000-000000000001' });
  });

  it('gives the same call whatever order the reports arrive in, and with duplicates', () => {
    const expected = fold(steps);
    const orders = [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 4, 0, 3, 2, 4, 1]];
    for (const order of orders) expect(fold(order.map((i) => steps[i]!))).toEqual(expected);
  });

  it('a call nobody answers is abandoned when every phone stopped ringing, and ends with the last one', () => {
    const a = report({ state: 'ended', endedAt: T + 59_000, endReason: 'caller_hung_up' });
    const b = report({ state: 'ended', endedAt: T + 59_020, endReason: 'cancelled' });
    const first = fold([[report({}), arm1], [report({}), arm2], [a, arm1]]);
    expect(first.status).toBe('ringing');
    expect(isWaiting(first, T + 59_010)).toBe(true);
    for (const order of [[[a, arm1], [b, arm2]], [[b, arm2], [a, arm1]]] as [CallReport, CallAgent][][]) {
      const c = fold(order);
      expect(c).toMatchObject({ status: 'ended', answeredAt: null, endedAt: T + 59_020, endReason: 'caller_hung_up' });
      expect(isWaiting(c, T + 59_030)).toBe(false);
    }
  });

  it('a phone’s view never goes back; a ringing call with no news for 90 s is no longer counted as waiting', () => {
    const c = fold([[report({ state: 'answered', answeredAt: T + 1000 }), arm1], [report({}), arm1]]);
    expect(c.views['ws-1']).toBe('answered');
    const lonely = fold([[report({}), arm2]]);
    expect(isWaiting(lonely, T + RING_STALE_MS - 1)).toBe(true);
    expect(isWaiting(lonely, T + RING_STALE_MS)).toBe(false);
  });

  it('the leg of a transfer is marked and never waits in the queue as a new call', () => {
    const leg = fold([[report({ callId: 'call-2', referredBy: 'sip:arm1@127.0.0.1' }), arm2]]);
    expect(leg.referredBy).toBe('sip:arm1@127.0.0.1');
    expect(isWaiting(leg, T + 1000)).toBe(false);
  });
});
