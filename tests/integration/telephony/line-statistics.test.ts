/**
 * The statistics of a center with lines: a call counts from its arrival in the line's queue (not
 * from the ring at a desk), one abandoned in the queue was received and abandoned, one waiting in
 * the queue is neither yet, and a call to a closed line is not counted.
 */
import { describe, expect, it } from 'vitest';
import { freshDatabase, TENANT } from '../../fixtures/sync-harness.js';
import { todayFigures } from '../../../src-server/services/statistics.js';

describe('statistics with the lines’ queue', () => {
  it('answer times from the queue, abandons in the queue, waiting calls and closed-line calls', async () => {
    const { db, drop } = await freshDatabase('postgres');
    try {
      // Wednesday 9 December 2026, 11:00 in Paris.
      const t = Date.UTC(2026, 11, 9, 10, 0);
      const line = (id: string, at: number, state: string) =>
        db.query(`INSERT INTO line_calls (tenant, call_id, line, caller, arrived_at, tindex, tlabel, state) VALUES ($1, $2, '116117', '0600000000', $3, 1, 1, $4)`, [TENANT, id, at, state]);
      const desk = (id: string, at: number, answeredAt: number | null) =>
        db.query(
          `INSERT INTO calls (tenant, call_id, direction, arrived_at, answered_at, ended_at, status, internal_transfer, transferred, data)
           VALUES ($1, $2, 'in', $3, $4, $5, 'ended', false, false, '{}')`,
          [TENANT, id, at, answeredAt, at + 120_000],
        );
      // Waited 50 s in the queue, then rang 5 s at a desk and was answered: 55 s, not 5 s.
      await line('answered', t, 'ended');
      await desk('answered', t + 50_000, t + 55_000);
      // Hung up after 20 s in the queue: it never rang at a desk.
      await line('abandoned', t + 1_000, 'abandoned');
      // Still waiting (its caller hears the message): neither answered nor abandoned yet.
      await line('waiting', t + 2_000, 'waiting');
      // Called while the line was closed.
      await line('closed', t + 3_000, 'refused');
      const figures = await todayFigures(db, TENANT, t + 60_000);
      expect(figures.calls).toMatchObject({ received: 2, answered: 1, abandoned: 1, answeredWithin30s: 0, answeredWithin60s: 1 });
      expect(figures.calls.answerSeconds.median).toBe(55);
    } finally {
      await db.close();
      await drop();
    }
  });
});
