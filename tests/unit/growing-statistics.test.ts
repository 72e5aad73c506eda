/**
 * Statistics refreshed as a table grows (db/growing-statistics.ts): after the first threshold, then
 * at each doubling, never two analyses at once, never past the last threshold, and a failed
 * analysis said without throwing at the writer.
 */
import { describe, expect, it } from 'vitest';
import { GrowingStatistics } from '../../src-server/db/growing-statistics.js';
import type { Queryable } from '../../src-server/db/sql.js';

function fakeDb(fail = false) {
  const ran: string[] = [];
  let release: (() => void) | null = null;
  const db: Queryable = {
    query: async () => ({ rows: [] }),
    exec: (sql: string) => {
      ran.push(sql);
      return new Promise<void>((resolve, reject) => {
        release = () => (fail ? reject(new Error('permission denied for table events')) : resolve());
      });
    },
  };
  return { db, ran, finish: () => release?.() };
}

describe('growing statistics', () => {
  it('analyses at the first threshold, then at each doubling, up to the last one', async () => {
    const { db, ran, finish } = fakeDb();
    const stats = new GrowingStatistics({ db, tables: ['mutation_results', 'events'], first: 1_000, last: 4_000, onError: () => {} });
    stats.wrote(999);
    expect(ran).toEqual([]);
    stats.wrote(1);
    expect(ran).toEqual(['ANALYZE mutation_results, events']);
    finish();
    await stats.settled();
    stats.wrote(999); // 1,999 written: the next one is at 2,000
    expect(ran).toHaveLength(1);
    stats.wrote(5_000); // past 2,000 and 4,000 at once: one analysis, the next threshold beyond
    expect(ran).toHaveLength(2);
    finish();
    await stats.settled();
    stats.wrote(100_000); // beyond the last threshold: autovacuum's job
    expect(ran).toHaveLength(2);
  });

  it('one analysis at a time: a threshold passed while one runs waits for the next write after it', async () => {
    const { db, ran, finish } = fakeDb();
    const stats = new GrowingStatistics({ db, tables: ['cases'], first: 10, last: 1_000, onError: () => {} });
    stats.wrote(10);
    stats.wrote(10); // 20: a threshold, but the first analysis still runs
    expect(ran).toHaveLength(1);
    finish();
    await stats.settled();
    stats.wrote(1); // 21 ≥ 20: now
    expect(ran).toHaveLength(2);
  });

  it('a failed analysis is reported, not thrown, and the next threshold tries again', async () => {
    const { db, ran, finish } = fakeDb(true);
    const errors: string[] = [];
    const stats = new GrowingStatistics({ db, tables: ['events'], first: 10, last: 1_000, onError: (e) => errors.push(e.message) });
    stats.wrote(10);
    finish();
    await stats.settled();
    expect(errors).toEqual(['permission denied for table events']);
    stats.wrote(10);
    expect(ran).toHaveLength(2);
  });
});
