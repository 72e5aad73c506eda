/**
 * The server's search of cases (by callback number, by the start of the last name) reads keys the
 * writer stores beside each case (migration 25): cases stored before it are found through the
 * keys it computed from their JSON, cases written after through the writer's; a name as the
 * workstations look it up (accents, case and punctuation set aside: "ecu" finds "Écuyer").
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateServer, SERVER_MIGRATIONS } from '../../src-server/db/migrations.js';
import { openPostgres, type SqlDatabase } from '../../src-server/db/sql.js';
import { seedTenant } from '../../src-server/bootstrap.js';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { searchKey } from '../../src-shared/text/normalize.js';
import { PG_ADMIN_URL, rawLogin, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';

describe('search keys of cases (postgres)', () => {
  const name = `permanence_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let db: SqlDatabase;
  let server: RegulationServer;
  const before = randomUUID();
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    db = await openPostgres(PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`));
    // A center whose cases were stored before the keys had columns of their own.
    await migrateServer(db, SERVER_MIGRATIONS, 24);
    await seedTenant(db, { id: TENANT, name: 'Côte-d’Or', department: '21', users: [{ login: 'dr1', displayName: 'DR 1', role: 'physician', password: 'dr1-password' }] });
    const data = { id: before, status: 'closed', fields: { callbackPhone: '+33611223344', patient: { lastName: 'Écuyer-Lœuvre', firstName: 'Anne' } } };
    await db.query('INSERT INTO cases (tenant, id, last_seq, status, data) VALUES ($1, $2, 0, $3, $4)', [TENANT, before, 'closed', JSON.stringify(data)]);
    await migrateServer(db);
    server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('finds a case stored before the migration and one written after, by number and by name start', async () => {
    const { rows } = await db.query<{ search_phone: string; search_last_name: string }>('SELECT search_phone, search_last_name FROM cases WHERE id = $1', [before]);
    // The migration's key is the workstations' (src-shared/text/normalize.ts).
    expect(rows[0]).toEqual({ search_phone: '+33611223344', search_last_name: searchKey('Écuyer-Lœuvre') });
    expect(searchKey('Écuyer-Lœuvre')).toBe('ECUYER LOEUVRE');
    const token = await rawLogin(server.url, 'dr1');
    const auth = { authorization: `Bearer ${token}` };
    const after = randomUUID();
    const push = await fetch(`${server.url}/api/sync/push`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        mutations: [{ id: randomUUID(), caseId: after, command: { type: 'open', line: '116117', fields: { callbackPhone: '+33611223344', patient: { lastName: 'ÉCUMOIRE' } } }, clientTime: Date.now(), localSeq: 1 }],
      }),
    });
    expect(((await push.json()) as { verdicts: { status: string }[] }).verdicts[0]!.status).toBe('accepted');
    const search = async (query: string) => {
      const r = await fetch(`${server.url}/api/cases/search?${query}`, { headers: auth });
      expect(r.status).toBe(200);
      return ((await r.json()) as { cases: { id: string }[] }).cases.map((c) => c.id).toSorted();
    };
    expect(await search('phone=%2B33611223344')).toEqual([before, after].toSorted());
    expect(await search(`name=${encodeURIComponent('éCu')}`)).toEqual([before, after].toSorted());
    expect(await search('name=ecu')).toEqual([before, after].toSorted());
    expect(await search(`name=${encodeURIComponent('écum')}`)).toEqual([after]);
    expect(await search(`name=${encodeURIComponent('ecuyer loeu')}`)).toEqual([before]);
    expect(await search(`name=${encodeURIComponent('--')}`)).toEqual([]);
    expect(await search('phone=%2B33699999999')).toEqual([]);
    // The indexes are the columns', not expressions over the case's JSON.
    const { rows: indexes } = await db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename = 'cases' AND indexname IN ('cases_by_phone', 'cases_by_last_name')");
    expect(indexes).toHaveLength(2);
    for (const i of indexes) expect(i.indexdef).not.toContain('jsonb');
  });
});
