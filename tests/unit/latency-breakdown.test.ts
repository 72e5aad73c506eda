import { describe, expect, it } from 'vitest';
import { breakdown } from '../bench/latency-breakdown.js';

const names = new Map([
  [1, 'liberal'],
  [2, 'samu'],
]);
/** A round trip at `t0`: liberal → samu (after `hop` ms) → liberal; marks as the processes write them. */
const trip = (t0: number, hop: number) => [`1 start ${t0}`, `2 received ${t0 + hop}`, `2 committed ${t0 + hop + 2}`, `1 end ${t0 + hop + 3}`];

describe('where a round trip goes (benchmark latency marks)', () => {
  it('gives the median of each step of the common path, across processes, in time order', () => {
    const lines = [...trip(100, 1), ...trip(200, 3), ...trip(300, 2)].toReversed(); // out of order, as several files append
    const b = breakdown(lines.join('\n'), names, 'start', 'end');
    expect(b).toEqual({
      roundTrips: 3,
      typical: 3,
      steps: [
        { from: 'liberal: start', to: 'samu: received', medianMs: 2 },
        { from: 'samu: received', to: 'samu: committed', medianMs: 2 },
        { from: 'samu: committed', to: 'liberal: end', medianMs: 1 },
      ],
      totalMedianMs: 5,
    });
  });

  it('counts apart the round trips that took another path, and ignores marks outside a round trip', () => {
    const odd = ['1 start 400', '2 committed 401', '2 received 402', '1 end 403'];
    const b = breakdown([...trip(100, 1), ...trip(200, 1), ...odd, '2 received 500', '1 start 600'].join('\n'), names, 'start', 'end');
    expect(b.roundTrips).toBe(3);
    expect(b.typical).toBe(2);
    expect(b.steps.map((s) => s.to)).toEqual(['samu: received', 'samu: committed', 'liberal: end']);
  });
});
