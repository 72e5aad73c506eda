/**
 * Statistics of one year of a department (130,000 calls, 100,000 cases) on the server, next to the
 * raw SQL aggregates of the same figures in the same run (PostgreSQL on 127.0.0.1).
 */
import { periodOfDays } from '../../src-shared/domain/statistics.js';
import { statisticsFor } from '../../src-server/services/statistics.js';
import { freshDatabase, TENANT } from '../fixtures/sync-harness.js';
import { fmt, median } from './stats.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

export async function benchStatistics(options: { smoke: boolean }): Promise<SectionResult> {
  const calls = options.smoke ? 13_000 : 130_000;
  const cases = options.smoke ? 10_000 : 100_000;
  const runs = options.smoke ? 2 : 5;
  const { db, drop } = await freshDatabase('postgres');
  try {
    const { from, to } = periodOfDays('21', '2025-01-01', '2025-12-31');
    const span = to - from;
    const t0 = performance.now();
    // Deterministic spread over the year; 8 % abandoned, answer times 0–99 s, a sector per case.
    await db.query(
      `INSERT INTO calls (tenant, call_id, direction, internal_transfer, status, arrived_at, answered_at, ended_at, transferred, case_id, data)
       SELECT $1, 'bench-' || i, CASE WHEN i % 20 = 0 THEN 'out' ELSE 'in' END, i % 50 = 0, 'ended',
              $2 + (i::bigint * 7919 * 1000) % $3,
              CASE WHEN i % 13 = 0 THEN NULL ELSE $2 + (i::bigint * 7919 * 1000) % $3 + (i % 100) * 1000 END,
              $2 + (i::bigint * 7919 * 1000) % $3 + 300000, i % 40 = 0,
              CASE WHEN i <= $5 THEN ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid END, '{}'
         FROM generate_series(1, $4) AS i`,
      [TENANT, from, span, calls, cases],
    );
    await db.query(
      `INSERT INTO case_facts (tenant, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at)
       SELECT $1, ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, $2 + (i::bigint * 7919 * 1000) % $3,
              (ARRAY['P0','P1','P2','P3'])[1 + i % 4], 'S' || (i % 12), (ARRAY['PHONE_ADVICE','PRESCRIPTION','CONSULTATION','HOME_VISIT','TRANSFER_SAMU'])[1 + i % 5],
              $2 + (i::bigint * 7919 * 1000) % $3 + 600000 + (i % 600) * 1000, 'cote-dor:dr' || (1 + i % 12), 'DR ' || (1 + i % 12), (i % 97 = 0)::int,
              $2 + (i::bigint * 7919 * 1000) % $3 + 20000
         FROM generate_series(1, $4) AS i`,
      [TENANT, from, span, cases],
    );
    await db.query('ANALYZE calls; ANALYZE case_facts');
    const loadSeconds = (performance.now() - t0) / 1000;

    const raw = async () => {
      const [c, k] = await Promise.all([
        db.query<{ received: string; answered: string; w30: string; w60: string }>(
          `SELECT count(*) FILTER (WHERE direction = 'in' AND NOT internal_transfer) AS received,
                  count(answered_at) FILTER (WHERE direction = 'in' AND NOT internal_transfer) AS answered,
                  count(*) FILTER (WHERE direction = 'in' AND NOT internal_transfer AND answered_at - arrived_at <= 30000) AS w30,
                  count(*) FILTER (WHERE direction = 'in' AND NOT internal_transfer AND answered_at - arrived_at <= 60000) AS w60,
                  percentile_disc(0.5) WITHIN GROUP (ORDER BY answered_at - arrived_at) AS median
             FROM calls WHERE tenant = $1 AND arrived_at >= $2 AND arrived_at < $3`,
          [TENANT, from, to],
        ),
        db.query(
          `SELECT priority, decision, sector_id, decided_by, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY first_decided_at - coalesce(first_answered_at, opened_at))
             FROM case_facts WHERE tenant = $1 AND opened_at >= $2 AND opened_at < $3 GROUP BY GROUPING SETS ((priority), (decision), (sector_id), (decided_by))`,
          [TENANT, from, to],
        ),
      ]);
      return { calls: c.rows[0]!, groups: k.rows.length };
    };
    const full = () => statisticsFor(db, TENANT, '2025-01-01', '2025-12-31', null);
    // Warm both paths once, then alternate.
    const check = await full();
    const baseline = await raw();
    if (check.calls.received !== Number(baseline.calls.received) || check.calls.answeredWithin30s !== Number(baseline.calls.w30)) {
      throw new Error(`statistics disagree with the raw aggregate: ${check.calls.received}/${baseline.calls.received}, ${check.calls.answeredWithin30s}/${baseline.calls.w30}`);
    }
    const tFull: number[] = [];
    const tRaw: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await full();
      tFull.push(performance.now() - t);
      t = performance.now();
      await raw();
      tRaw.push(performance.now() - t);
    }
    const ok = median(tFull) <= 2_000;
    console.log(`\n# Statistics: one year of a department (${calls.toLocaleString('en')} calls, ${cases.toLocaleString('en')} cases; loaded in ${loadSeconds.toFixed(1)} s)`);
    console.log('| measure | median | max | target | verdict |');
    console.log('| --- | --- | --- | --- | --- |');
    console.log(`| statistics for the year (server: rows read, domain indicators) | ${fmt(median(tFull))} | ${fmt(Math.max(...tFull))} | ≤ 2 s | ${verdictText(ok, options.smoke)} |`);
    console.log(`| raw SQL aggregates of the same figures (same run) | ${fmt(median(tRaw))} | ${fmt(Math.max(...tRaw))} | baseline | |`);
    console.log(`  check: ${check.calls.received} calls received, ${check.calls.answeredWithin30s} answered within 30 s, ${check.cases.total} cases — equal to the raw aggregate`);
    return passed(true, ok);
  } finally {
    await db.close();
    await drop();
  }
}
