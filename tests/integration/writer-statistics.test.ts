/**
 * The writer's statements are prepared once per connection and keep their plan: one made while the
 * center's tables were empty would read them whole at each commit once they have grown (the
 * writer fell from 8,000 to 1,200 mutations/s over 180,000 rows where autovacuum is off). The
 * writer refreshes their statistics as it writes, which makes PostgreSQL plan them again.
 */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { TenantWriter, type Submission } from '../../src-server/services/tenant-writer.js';
import { TENANT, waitFor } from '../fixtures/sync-harness.js';
import { freshPostgresForTests } from '../fixtures/fresh-postgres.js';
import { arm } from '../fixtures/hub.js';

const open = (): Submission => {
  const id = uuidv7();
  return { mutation: { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 }, actor: arm, workstationId: 'ws-test' };
};

describe('writer statistics (postgres)', () => {
  const pg = freshPostgresForTests();

  it('the tables it writes are analysed once a thousand mutations are committed, not before', async () => {
    const analysed = async () =>
      (
        await pg.db.query<{ relname: string; rows: number }>(
          "SELECT c.relname, c.reltuples::int AS rows FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname IN ('mutation_results', 'cases', 'case_facts', 'events') AND s.last_analyze IS NOT NULL",
        )
      ).rows;
    const writer = await TenantWriter.open(pg.db, TENANT);
    await writer.submit(Array.from({ length: 900 }, open));
    expect(await analysed()).toEqual([]);
    await writer.submit(Array.from({ length: 200 }, open));
    await waitFor('the four tables analysed', async () => (await analysed()).length === 4, 10_000);
    for (const t of await analysed()) expect(t.rows, t.relname).toBeGreaterThanOrEqual(1_000);
  });
});
