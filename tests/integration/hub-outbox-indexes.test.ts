/**
 * Our answers to the partner (RC-REF, RS-ERROR) are never acknowledged: once published they must
 * not weigh on the statements that follow our messages waiting for the partner (the follow-up runs
 * every second, the supervisor's list at each change). Migration 27. A row marked published is
 * rewritten on its own page (migration 29); answers are not in the index of the cases we sent (30).
 */
import { describe, expect, it } from 'vitest';
import { TENANT } from '../fixtures/sync-harness.js';
import { freshPostgresForTests } from '../fixtures/fresh-postgres.js';

const pg = freshPostgresForTests();

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows the statement read from hub_outbox (kept or filtered out), from its executed plan. */
async function outboxRowsRead(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await pg.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
  const walk = (n: PlanNode): number =>
    (n['Relation Name'] === 'hub_outbox' ? (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * n['Actual Loops'] : 0) +
    (n.Plans ?? []).reduce((sum, p) => sum + walk(p), 0);
  return walk(rows[0]!['QUERY PLAN'][0].Plan);
}

describe('the outbox after many answers sent', () => {
  it('the follow-up and the list of messages waiting read only those (3 of 3,003 rows), the dispatcher only what is pending', async () => {
    const now = Date.now();
    await pg.db.query(
      `INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, body, created_at, expires_at, state, answers)
       SELECT $1, 'fr.health.snp210_answer-' || i, 'fr.health.samu210', 'Ack', 'reference', 'Accusé de réception (intégré)', '{}', $2::bigint, $2::bigint + 86400000, 'published', 'fr.health.samu210_' || i
       FROM generate_series(1, 3000) AS i`,
      [TENANT, now - 600_000],
    );
    await pg.db.query(
      `INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, body, created_at, expires_at, state, hub_case_id, case_id)
       VALUES ($1, 'fr.health.snp210_ours-1', 'fr.health.samu210', 'Report', 'createCaseHealth', 'Transfert', '{}', $2::bigint, $2::bigint + 86400000, 'published', 'fr.health.snp210.DRFR1539A2633000001', gen_random_uuid()),
              ($1, 'fr.health.snp210_ours-2', 'fr.health.samu210', 'Report', 'createCaseHealth', 'Transfert', '{}', $2::bigint, $2::bigint + 86400000, 'received', NULL, NULL),
              ($1, 'fr.health.snp210_ours-3', 'fr.health.samu210', 'Report', 'createCaseHealth', 'Transfert', '{}', $2::bigint, $2::bigint + 86400000, 'pending', NULL, NULL)`,
      [TENANT, now - 600_000],
    );
    await pg.db.query('ANALYZE hub_outbox');
    // The supervisor's list (HubService.status) and the follow-up's lateness check (HubService.followUp, as a read).
    expect(await outboxRowsRead(`SELECT distribution_id FROM hub_outbox WHERE tenant = $1 AND answers IS NULL AND state IN ('pending', 'published', 'received') ORDER BY id LIMIT 100`, [TENANT])).toBe(3);
    expect(await outboxRowsRead(`SELECT distribution_id FROM hub_outbox WHERE tenant = $1 AND NOT overdue AND answers IS NULL AND state IN ('pending', 'published') AND created_at <= $2`, [TENANT, now])).toBe(3);
    // The dispatcher's scan of what is still to publish.
    expect(await outboxRowsRead(`SELECT distribution_id FROM hub_outbox WHERE tenant = $1 AND state = 'pending' ORDER BY id LIMIT 500`, [TENANT])).toBe(1);
    // The case of a Hub case we sent (HubService.caseOf): found through its index, which holds our
    // messages only (migration 30): the 3,000 answers put no entry in it.
    expect(await outboxRowsRead(`SELECT case_id AS id FROM hub_outbox WHERE tenant = $1 AND hub_case_id = $2 AND case_id IS NOT NULL AND answers IS NULL`, [TENANT, 'fr.health.snp210.DRFR1539A2633000001'])).toBe(1);
    const entries = await pg.db.query<{ pages: number }>(`SELECT (pg_relation_size('hub_outbox_by_hub_case') / 8192)::int AS pages`);
    // A metapage and one leaf for the row of ours; with the answers, 3,003 entries took 5 pages.
    expect(entries.rows[0]!.pages).toBeLessThanOrEqual(2);
  });
});

describe('the outbox pages', () => {
  it('a row marked published is rewritten on its own page: its new version beside the old one (190 of 200 at least)', async () => {
    const now = Date.now();
    // As the writer's commit leaves our answers: pending, a message of 830 characters each.
    await pg.db.query(
      `INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, body, created_at, expires_at, state, answers)
       SELECT $1, 'fr.health.snp210_page-' || i, 'fr.health.samu210', 'Ack', 'reference', 'Accusé de réception (intégré)', repeat('x', 830), $2::bigint, $2::bigint + 86400000, 'pending', 'fr.health.samu210_p' || i
       FROM generate_series(1, 200) AS i`,
      [TENANT, now],
    );
    const pages = async () =>
      new Map((await pg.db.query<{ d: string; page: string }>(`SELECT distribution_id AS d, (ctid::text::point)[0]::text AS page FROM hub_outbox WHERE distribution_id LIKE 'fr.health.snp210_page-%'`)).rows.map((r) => [r.d, r.page]));
    const before = await pages();
    // What the dispatcher's "published" mark changes (HubService.markPublished).
    await pg.db.query(
      `UPDATE hub_outbox SET state = 'published', steps = '{"published":' || $2::text || '}', attempts = attempts + 1, last_attempt_at = $2::bigint
       WHERE tenant = $1 AND distribution_id LIKE 'fr.health.snp210_page-%'`,
      [TENANT, now],
    );
    const after = await pages();
    const stayed = [...before].filter(([d, page]) => after.get(d) === page).length;
    expect(stayed).toBeGreaterThanOrEqual(190);
  });
});
