/**
 * Several server instances on one PostgreSQL: one writer per center, enforced by the database
 * (advisory lock + fencing token + compare-and-set on the head), pushes forwarded to the holder,
 * events fanned out by every instance, and a take-over when the holder is killed or frozen.
 * Real processes (the CLI) where a process must die; real PostgreSQL on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { WebSocket } from 'ws';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { seedTenant } from '../../../src-server/bootstrap.js';
import { LATEST_SERVER_SCHEMA_VERSION, migrateServer } from '../../../src-server/db/migrations.js';
import { openPostgres, type SqlDatabase } from '../../../src-server/db/sql.js';
import { startServer, type ServerOptions } from '../../../src-server/server.js';
import { CENTER_LOCK_CLASS } from '../../../src-server/db/center-leases.js';
import { NotHolderError, TenantWriter } from '../../../src-server/services/tenant-writer.js';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { freePort, spawnServer, type ServerProcess } from '../../fixtures/server-process.js';
import { EffectorClient, physicianApi, serverCase, setUpEffectors } from '../../fixtures/effector-center.js';
import { effector } from '../../fixtures/effectors.js';
import { hubConfig } from '../../fixtures/hub.js';
import type { EffectorRequest } from '../../../src-shared/schemas/effectors.js';
import { burstAcrossFault, call, expectConvergedWith, freshDatabase, OTHER_TENANT, PG_ADMIN_URL, rawLogin, TENANT, TOKEN_SECRET, waitFor, openWorkstation } from '../../fixtures/sync-harness.js';

const { cleanups, track } = closeAfterEach();


interface Ready {
  instance: { name: string; centers: string[]; takeOvers: { tenant: string; cause: string; previous: string | null }[] };
}
const ready = async (url: string): Promise<Ready> => (await (await fetch(`${url}/api/ready`)).json()) as Ready;

const push = (url: string, token: string, mutations: unknown[]) =>
  fetch(`${url}/api/sync/push`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ mutations }) });
const openCase = () => {
  const id = uuidv7();
  return { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
};

/** The log is dense (1..head, no gap), every mutation id once, and the head is its last sequence. */
async function expectDenseLog(db: SqlDatabase, tenant = TENANT): Promise<number> {
  const { rows } = await db.query<{ n: number; lo: number | null; hi: number | null; ids: number; head: number }>(
    'SELECT count(*)::int AS n, min(seq) AS lo, max(seq) AS hi, count(DISTINCT id)::int AS ids, (SELECT last_seq FROM tenants WHERE id = $1) AS head FROM events WHERE tenant = $1',
    [tenant],
  );
  const r = rows[0]!;
  expect(r.ids).toBe(r.n);
  if (r.n > 0) expect([r.lo, r.hi]).toEqual([1, r.n]);
  expect(Number(r.head)).toBe(r.n);
  return r.n;
}

/** A fresh, seeded database for one test, dropped after it. */
async function database(): Promise<{ db: SqlDatabase; url: string }> {
  const { db, url, drop } = await freshDatabase('postgres');
  cleanups.push(async () => {
    await db.close();
    await drop();
  });
  return { db, url: url! };
}

/**
 * Two instances in this process on one database, each on its own connections: `a`, started first,
 * holds the centers; `b` waits. Both are closed after the test (a test may close `a` before).
 */
async function twoInstances(options: Partial<ServerOptions> = {}, onlyB: Partial<ServerOptions> = {}) {
  const { db, url } = await database();
  const a = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', ...options, instance: { name: 'a' } });
  cleanups.push(() => a.close());
  const dbB = await openPostgres(url);
  cleanups.push(() => dbB.close());
  const b = track(await startServer({ db: dbB, tokenSecret: TOKEN_SECRET, logLevel: 'silent', ...options, ...onlyB, instance: { name: 'b', ...onlyB.instance } }));
  return { db, url, a, b };
}

describe('one writer per center across instances', () => {
  it('two instances started at once on an empty database: migrations run once, each center has one holder', async () => {
    const name = `permanence_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    cleanups.push(async () => {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    });
    const [dbA, dbB] = await Promise.all([openPostgres(url), openPostgres(url)]);
    cleanups.push(() => dbA.close(), () => dbB.close());
    // Without the migration lock the second one fails on "relation already exists" (or a duplicate version).
    await Promise.all([migrateServer(dbA), migrateServer(dbB)]);
    const { rows: applied } = await dbA.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version');
    expect(applied.map((r) => r.version)).toEqual(Array.from({ length: LATEST_SERVER_SCHEMA_VERSION }, (_, i) => i + 1));
    expect(applied.every((r) => r.n === 1)).toBe(true);
    await seedTenant(dbA, { id: TENANT, name: 'Côte-d’Or', department: '21', users: [{ login: 'arm1', displayName: 'ARM 1', role: 'arm', password: 'arm1-password' }] });
    await seedTenant(dbA, { id: OTHER_TENANT, name: 'Jura', department: '39', users: [{ login: 'jarm1', displayName: 'JARM 1', role: 'arm', password: 'jarm1-password' }] });

    const [a, b] = await Promise.all([
      startServer({ db: dbA, tokenSecret: TOKEN_SECRET, logLevel: 'silent', instance: { name: 'a' } }),
      startServer({ db: dbB, tokenSecret: TOKEN_SECRET, logLevel: 'silent', instance: { name: 'b' } }),
    ]);
    track(b);
    track(a);
    const held = [...a.heldCenters(), ...b.heldCenters()].sort();
    expect(held).toEqual([OTHER_TENANT, TENANT].sort());
    // The database agrees: one session holds each center's lock, and the row names that instance.
    const { rows: locks } = await dbA.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${CENTER_LOCK_CLASS} AND granted`);
    expect(locks[0]!.n).toBe(2);
    const { rows: tenants } = await dbA.query<{ id: string; writer_instance: string }>('SELECT id, writer_instance FROM tenants ORDER BY id');
    for (const t of tenants) expect((t.writer_instance === 'a' ? a : b).heldCenters()).toContain(t.id);

    // A push to the instance that does not hold the center is forwarded to the one that does.
    const holder = a.heldCenters().includes(TENANT) ? a : b;
    const other = holder === a ? b : a;
    const token = await rawLogin(other.url, 'arm1');
    const res = await push(other.url, token, [openCase()]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { verdicts: { status: string }[] }).verdicts[0]!.status).toBe('accepted');
    expect(await expectDenseLog(dbA)).toBe(1);
  });

  it('a writer whose center was taken over writes nothing: its commit fails the compare-and-set and it steps down', async () => {
    const { db } = await database();
    await db.query("UPDATE tenants SET writer_token = 'old' WHERE id = $1", [TENANT]);
    const old = await TenantWriter.open(db, TENANT, { holderToken: 'old' });
    const actor = { userId: 'u', displayName: 'U', role: 'arm' as const };
    expect((await old.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }]))[0]!.status).toBe('accepted');
    // Another instance took the center (its token), and wrote one event.
    await db.query("UPDATE tenants SET writer_token = 'new' WHERE id = $1", [TENANT]);
    const fresh = await TenantWriter.open(db, TENANT, { holderToken: 'new' });
    expect((await fresh.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }]))[0]!).toMatchObject({ status: 'accepted', seq: 2 });
    // The old writer wakes up: its next batch is refused whole, nothing is written, it refuses after.
    const lost = openCase();
    await expect(old.submit([{ mutation: lost as never, actor, workstationId: 'w' }])).rejects.toBeInstanceOf(NotHolderError);
    expect(old.fenced).toBe(true);
    await expect(old.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }])).rejects.toBeInstanceOf(NotHolderError);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM mutation_results WHERE mutation_id = $1', [lost.id]);
    expect(rows[0]!.n).toBe(0);
    expect(await expectDenseLog(db)).toBe(2);
    // Even a writer that did not see the other's events (same head) is refused by the token alone.
    await db.query("UPDATE tenants SET writer_token = 'newer' WHERE id = $1", [TENANT]);
    await expect(fresh.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }])).rejects.toBeInstanceOf(NotHolderError);
    expect(await expectDenseLog(db)).toBe(2);
  });

  it('a writer whose memory of the head went stale (an answer lost) but still holds the center decides again, it does not step down', async () => {
    const { db } = await database();
    await db.query("UPDATE tenants SET writer_token = 'mine' WHERE id = $1", [TENANT]);
    const actor = { userId: 'u', displayName: 'U', role: 'arm' as const };
    // Two views of one holder: the second one's memory stops before the first one's commit.
    const stale = await TenantWriter.open(db, TENANT, { holderToken: 'mine' });
    const current = await TenantWriter.open(db, TENANT, { holderToken: 'mine' });
    await current.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }]);
    const [verdict] = await stale.submit([{ mutation: openCase() as never, actor, workstationId: 'w' }]);
    expect(verdict).toMatchObject({ status: 'accepted', seq: 2 });
    expect(stale.fenced).toBe(false);
    expect(await expectDenseLog(db)).toBe(2);
  });

  it('kill -9 of the holder in the middle of a push burst from 20 workstations: the other instance takes over, nothing lost or doubled', async () => {
    const { db, url } = await database();
    const env = (name: string) => ({ DATABASE_URL: url, PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_INSTANCE_NAME: name });
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await spawnServer(env('a'), portA);
    cleanups.push(() => a.kill());
    await waitFor('a holds the center', async () => (await ready(a.url)).instance.centers.includes(TENANT));
    const b = await spawnServer(env('b'), portB);
    cleanups.push(() => b.kill());
    expect((await ready(b.url)).instance.centers).toEqual([]);

    const logins = ['arm1', 'arm2', 'arm3', ...Array.from({ length: 12 }, (_, i) => `dr${i + 1}`), 'arm1', 'arm2', 'dr1', 'dr2', 'dr3'];
    const stations = await Promise.all(
      logins.map((login, i) => openWorkstation(i % 2 === 0 ? a.url : b.url, { login }, { fallbackServerUrls: [i % 2 === 0 ? b.url : a.url] })),
    );
    for (const w of stations) track(w);
    const rounds = 12;
    const created = await burstAcrossFault(stations, rounds, rounds / 2, () => a.kill('SIGKILL'));
    await waitFor('b holds the center', async () => (await ready(b.url)).instance.centers.includes(TENANT), 15_000);
    const truth = await expectConvergedWith(db, stations, 60_000);
    // Every case typed is on the server once, with its one note: nothing lost, nothing applied twice.
    expect(created).toHaveLength(stations.length * rounds);
    for (const id of created) expect(truth.get(id)?.notes, id).toHaveLength(1);
    expect(await expectDenseLog(db)).toBe(created.length * 2);
    const takeOver = (await ready(b.url)).instance.takeOvers.find((t) => t.tenant === TENANT)!;
    expect(takeOver.previous).toBe('a');
    expect(takeOver.cause).toContain('« a »');
    // Workstations that were on the killed instance now talk to the other one.
    for (const w of stations) expect(w.core.syncStatus().server).toBe(b.url);
  }, 120_000);

  it('the holder frozen (SIGSTOP) past its lease: the other takes over; resumed, it writes nothing and forwards', async () => {
    const { db, url } = await database();
    const env = (name: string) => ({ DATABASE_URL: url, PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_INSTANCE_NAME: name, PERMANENCE_LEASE_MS: '1500' });
    const a: ServerProcess = await spawnServer(env('a'), await freePort());
    cleanups.push(async () => {
      a.signal('SIGCONT');
      await a.kill();
    });
    await waitFor('a holds the center', async () => (await ready(a.url)).instance.centers.includes(TENANT));
    const b = await spawnServer(env('b'), await freePort());
    cleanups.push(() => b.kill());
    const tokenA = await rawLogin(a.url, 'arm1');
    const tokenB = await rawLogin(b.url, 'arm2');
    expect((await push(a.url, tokenA, [openCase()])).status).toBe(200);

    a.signal('SIGSTOP');
    const frozenAt = Date.now();
    await waitFor('b holds the center', async () => (await ready(b.url)).instance.centers.includes(TENANT), 15_000);
    const tookMs = Date.now() - frozenAt;
    expect(tookMs).toBeLessThan(10_000);
    expect((await push(b.url, tokenB, [openCase()])).status).toBe(200);

    // Resumed: the very first push it gets may find its old writer still there; the compare-and-set
    // refuses it, the instance steps down and sends the push on to the new holder.
    a.signal('SIGCONT');
    const late = openCase();
    const res = await push(a.url, tokenA, [late]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { verdicts: { status: string }[] }).verdicts[0]!.status).toBe('accepted');
    await waitFor('a gave the center up', async () => (await ready(a.url)).instance.centers.length === 0, 10_000);
    expect(await expectDenseLog(db)).toBe(3);
    const { rows } = await db.query<{ writer_instance: string }>('SELECT writer_instance FROM tenants WHERE id = $1', [TENANT]);
    expect(rows[0]!.writer_instance).toBe('b');
  }, 90_000);

  it('events committed on one instance reach the sockets of workstations on the other', async () => {
    const { a, b } = await twoInstances({ heartbeatMs: 60_000 });
    expect(a.heldCenters()).toContain(TENANT);
    const onA = track(await openWorkstation(a.url, { login: 'arm1' }));
    const onB = track(await openWorkstation(b.url, { login: 'dr1' }));
    await waitFor('both online', () => onA.core.syncStatus().connection === 'online' && onB.core.syncStatus().connection === 'online');
    // The heartbeat is a minute away: only the other instance's fan-out can bring these in time.
    const k = await call<RegulationCase>(onA.core, 'case.open', { line: '116117', fields: { reasonText: 'vu par l’autre instance' } });
    await waitFor('the case on the workstation of the other instance', () => onB.core.store.getCase(k.id) !== undefined, 5_000);
    const k2 = await call<RegulationCase>(onB.core, 'case.open', { line: '116117', fields: { reasonText: 'poussé par l’autre instance' } });
    await waitFor('the forwarded case back on the first', () => onA.core.store.getCase(k2.id) !== undefined, 5_000);
    // Other frames too (agent states): a change made through b reaches a's sockets.
    const seen: { userId: string; state: string }[][] = [];
    onA.core.subscribe((event, payload) => {
      if (event === 'agents.changed') seen.push((payload as { agents: { userId: string; state: string }[] }).agents);
    });
    await call(onB.core, 'agent.setState', { state: 'available', reason: null });
    await waitFor('the agent state set through b, on a workstation of a', () => seen.some((agents) => agents.some((x) => x.state === 'available')), 5_000);
  });

  it('an effector request whose deadline falls during the take-over opens its next tier on the new holder, seen on pages connected to either instance', async () => {
    // No sweep in the test's time: only the take-over's re-arming can open the tier on time.
    const { db, a, b } = await twoInstances({ effectorSweepMs: 600_000 });
    expect(a.heldCenters()).toContain(TENANT);
    const treating = effector(1);
    const docs = [treating, effector(2)];
    await setUpEffectors(a.url, docs, { treatingDoctorMs: 2_500, tierMs: 60_000 });
    // The treating doctor's page on b, the instance that does not hold the center (yet).
    const onB = track(await (await EffectorClient.login(b.url, treating.id)).connect());
    const sectorDoctor = track(await (await EffectorClient.login(b.url, docs[1]!.id)).connect());
    const c = await serverCase(a.url, track, { treatingDoctor: { id: treating.id, name: 'Dr Jean1 MEDECIN1' } });
    const api = await physicianApi(a.url);
    const req = (await api('POST', '/api/effector-requests', { caseId: c.id, need: 'visit', delay: '2H' })).json as EffectorRequest;
    await waitFor('the treating doctor, on the other instance, has it', () => onB.offer(req.id)?.status === 'open', 5_000);
    expect(sectorDoctor.offer(req.id)).toBeUndefined();
    // The holder stops before the deadline; b takes the center and arms the deadline from the database.
    await a.close();
    await waitFor('b holds the center', () => b.heldCenters().includes(TENANT), 5_000);
    await waitFor('the sector’s doctor has it, on time', () => sectorDoctor.offer(req.id)?.status === 'open', 5_000);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM effector_request_log WHERE tenant = $1 AND request_id = $2 AND kind = 'tier_opened'", [TENANT, req.id]);
    expect(rows[0]!.n).toBe(1);
  });

  it('the server side as one state: normal with a holder, failover in progress without one, degraded without the expected standby', async () => {
    // b tries the free lock only once a minute: the time between a's end and b's take-over is visible.
    const { a, b } = await twoInstances({}, { expectStandby: true, instance: { retryMs: 60_000, keepAliveMs: 60_000 } });
    const state = async (server: { url: string }) => {
      const token = await rawLogin(server.url, 'sup1');
      return (await (await fetch(`${server.url}/api/server/state`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; reasons: string[]; holder: string | null };
    };
    expect(await state(a)).toMatchObject({ state: 'ok', reasons: [], holder: 'a' });
    // This PostgreSQL has no standby: an instance told to expect one says so, the center is still written.
    const degraded = await state(b);
    expect(degraded).toMatchObject({ state: 'degraded', holder: 'a' });
    expect(degraded.reasons.join(' ')).toContain('sans secours synchrone');
    await a.close();
    const during = await state(b);
    expect(during.state).toBe('failover');
    expect(during.holder).toBeNull();
    expect(during.reasons.join(' ')).toContain('Reprise du serveur central en cours');
  });

  it('a browser’s WebSocket ticket given by one instance opens a socket on the other, once', async () => {
    const { a, b } = await twoInstances();
    const token = await rawLogin(a.url, 'arm1');
    const ticket = ((await (await fetch(`${a.url}/api/ws-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { ticket: string }).ticket;
    // Behind a load balancer the socket may land on the other instance.
    const open = (base: string) =>
      new Promise<{ opened: boolean; first?: string }>((resolve) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/api/ws?ticket=${encodeURIComponent(ticket)}`);
        ws.once('message', (data) => {
          ws.close();
          resolve({ opened: true, first: data.toString() });
        });
        ws.once('error', () => resolve({ opened: false }));
        ws.once('unexpected-response', () => resolve({ opened: false }));
      });
    const first = await open(b.url);
    expect(first.opened).toBe(true);
    expect(JSON.parse(first.first!)).toMatchObject({ type: 'hello' });
    // Used: refused everywhere after.
    expect((await open(a.url)).opened).toBe(false);
    expect((await open(b.url)).opened).toBe(false);
  });

  it('what lives with the holder (the Hub link’s state) is answered through the other instance too', async () => {
    // A Hub link that never connects (nothing listens there): its state is the holder's alone.
    const { a, b } = await twoInstances({ hubsante: [hubConfig(TENANT, 'fr.health.snp210', 'fr.health.samu210', { url: 'amqps://127.0.0.1:9' })] });
    expect(a.hub(TENANT)).toBeDefined();
    expect(b.hub(TENANT)).toBeUndefined();
    const token = await rawLogin(b.url, 'sup1');
    const res = await fetch(`${b.url}/api/hub/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { enabled: boolean; status?: { state: string } };
    expect(body.enabled).toBe(true);
    expect(body.status?.state).toBeDefined();
  });
});
