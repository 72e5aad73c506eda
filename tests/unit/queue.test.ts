import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareQueue, patchQueue, patchRecent } from '../../src-shared/domain/queue.js';
import { CASE_STATUSES, PRIORITIES } from '../../src-shared/domain/codes.js';
import type { CaseSummary } from '../../src-shared/schemas/case.js';
import { makeSummary } from '../fixtures/case-summary.js';

const summary = makeSummary;

const arbSummary = fc.record({
  id: fc.integer({ min: 1, max: 40 }),
  status: fc.constantFrom(...CASE_STATUSES),
  priority: fc.constantFrom(...PRIORITIES),
  waitingSince: fc.integer({ min: 0, max: 20 }),
  updatedAt: fc.integer({ min: 0, max: 1000 }),
});

describe('queue order and patching', () => {
  it('most urgent first, then longest waiting', () => {
    const q = [summary(1, { priority: 'P3', waitingSince: 1 }), summary(2, { priority: 'P1', waitingSince: 5 }), summary(3, { priority: 'P3', waitingSince: 0 })];
    expect([...q].sort(compareQueue).map((c) => c.reference)).toEqual(['R2', 'R3', 'R1']);
  });

  it('patching case by case gives the same queue as sorting the final states (property)', () => {
    fc.assert(
      fc.property(fc.array(arbSummary, { maxLength: 60 }), (changes) => {
        let queue: CaseSummary[] = [];
        const latest = new Map<number, CaseSummary>();
        for (const ch of changes) {
          const { id, ...fields } = ch;
          const s = summary(id, fields);
          latest.set(id, s);
          queue = patchQueue(queue, [s]);
        }
        const expected = [...latest.values()].filter((c) => c.status === 'waiting_regulation').sort(compareQueue);
        expect(queue).toEqual(expected);
      }),
    );
  });

  it('a taken case leaves the queue; recent keeps the newest first and its length', () => {
    const a = summary(1, {});
    const b = summary(2, { priority: 'P2' });
    const q = patchQueue([b, a], [{ ...b, status: 'under_regulation' }]);
    expect(q.map((c) => c.id)).toEqual([a.id]);
    const recent = patchRecent([summary(3, { updatedAt: 5 }), summary(4, { updatedAt: 3 })], [summary(4, { updatedAt: 9 })], 2);
    expect(recent.map((c) => c.reference)).toEqual(['R4', 'R3']);
  });
});
