/**
 * Faults: after each, every workstation converges to the server's state, and no mutation is lost
 * or applied twice. Real PostgreSQL on 127.0.0.1 unless said otherwise.
 */
import { describe, expect, it, vi } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { v7 as uuidv7 } from 'uuid';
import pg from 'pg';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { markRestored } from '../../../src-server/bootstrap.js';
import { openPostgres } from '../../../src-server/db/sql.js';
import { startServer } from '../../../src-server/server.js';
import {
  call,
  expectConverged,
  freshDatabase,
  restartableServer,
  openWorkstation,
  PG_ADMIN_URL,
  serverCases,
  startTestServer,
  TENANT,
  TOKEN_SECRET,
  waitFor,
  type TestServer,
  rawLogin,
  SIP_WS_URL,
} from '../../fixtures/sync-harness.js';
import { startFaultProxy } from '../../fixtures/fault-proxy.js';
import { spawnServer } from '../../fixtures/server-process.js';
import { sipHa1 } from '../../../src-server/services/auth.js';

const { cleanups, track } = closeAfterEach();

const push = (url: string, token: string, mutations: unknown[]) =>
  fetch(`${url}/api/sync/push`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ mutations }) });

/** Accepted mutations of one workstation, in server order, with nothing twice. */
async function serverMutationsOf(ts: { db: TestServer['db'] }, workstationId: string) {
  const { rows } = await ts.db.query<{ id: string; seq: number }>('SELECT id, seq FROM events WHERE tenant = $1 AND workstation = $2 ORDER BY seq', [TENANT, workstationId]);
  return rows.map((r) => r.id);
}

describe('sync under faults', () => {
  it('answers a duplicate push with the original verdict and records one event', async () => {
    const ts = track(await startTestServer('postgres'));
    const token = await rawLogin(ts.url, 'arm1');
    const id = uuidv7();
    const open = { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
    const bad = { id: uuidv7(), caseId: id, command: { type: 'take' }, clientTime: Date.now(), localSeq: 2 };
    type Answer = { verdicts: { status: string; error?: { code: string } }[] };
    const first = (await (await push(ts.url, token, [open, bad])).json()) as Answer;
    const again = (await (await push(ts.url, token, [open, bad, open])).json()) as Answer;
    expect(again.verdicts).toEqual([...first.verdicts, first.verdicts[0]]);
    expect(first.verdicts[1]).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } });
    const { rows } = await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = $1', [id]);
    expect(rows[0]!.n).toBe(1);
  });

  it('survives duplicated and reordered realtime frames and dropped sockets', async () => {
    const ts = track(await startTestServer('postgres'));
    const proxy = track(await startFaultProxy(ts.url));
    proxy.faults.duplicate = true;
    proxy.faults.reorder = true;
    const a = track(await openWorkstation(proxy.url, { login: 'arm1' }));
    const b = track(await openWorkstation(proxy.url, { login: 'dr1' }));
    const c = track(await openWorkstation(ts.url, { login: 'arm2' }));
    const created: string[] = [];
    for (let i = 0; i < 30; i++) {
      const w = [a, c][i % 2]!;
      const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: { reasonText: `cas ${i}` } });
      created.push(k.id);
      await call(w.core, 'case.command', { caseId: k.id, command: { type: 'add_note', text: `note ${i}` } });
      if (i === 15) proxy.dropSockets();
    }
    const truth = await expectConverged(ts, [a, b, c]);
    for (const id of created) expect(truth.get(id)?.notes).toHaveLength(1);
  });

  it('a push answer that arrives after newer frames is not mistaken for a server gone back in time', async () => {
    const ts = track(await startTestServer('postgres'));
    const proxy = await startFaultProxy(ts.url);
    cleanups.push(() => proxy.close());
    const slow = track(await openWorkstation(proxy.url, { login: 'arm1' }));
    const other = track(await openWorkstation(ts.url, { login: 'arm2' }));
    await waitFor('online', () => [slow, other].every((w) => w.core.syncStatus().connection === 'online'));
    const resets = vi.spyOn(slow.core.store, 'resetForNewEpoch');
    proxy.faults.slowPushAnswersMs = 400;
    const answered = proxy.pushAnswers();
    const mine = await call<RegulationCase>(slow.core, 'case.open', { line: '116117' });
    // While the answer to that push is held back, the socket brings it and a newer case.
    await waitFor('own case on the socket', () => slow.core.store.syncState().cursorSeq >= 1);
    const theirs = await call<RegulationCase>(other.core, 'case.open', { line: '116117' });
    await waitFor('newer case on the socket', () => slow.core.store.getCase(theirs.id) !== undefined && slow.core.store.syncState().cursorSeq >= 2);
    await waitFor('push answered', () => proxy.pushAnswers() > answered);
    await new Promise((r) => setTimeout(r, 200));
    expect(resets).not.toHaveBeenCalled();
    const truth = await expectConverged(ts, [slow, other]);
    expect(truth.has(mine.id) && truth.has(theirs.id)).toBe(true);
  });

  it('a first snapshot that fails while the realtime socket stays up is retried, and the workstation says when it is back', async () => {
    const ts = track(await startTestServer('postgres'));
    const other = track(await openWorkstation(ts.url, { login: 'arm2' }));
    await call<RegulationCase>(other.core, 'case.open', { line: '116117', fields: { reasonText: 'avant' } });
    const proxy = await startFaultProxy(ts.url);
    cleanups.push(() => proxy.close());
    // The socket opens, but the snapshot it asks for fails (a proxy that drops some requests).
    proxy.faults.blockPaths = /^\/api\/sync\/snapshot/;
    const fresh = track(await openWorkstation(proxy.url, { login: 'arm1' }));
    await waitFor('snapshot refused', () => fresh.core.syncStatus().lastError !== null);
    // New events reach it on the socket meanwhile: they must not stand in for the missing snapshot.
    await call<RegulationCase>(other.core, 'case.open', { line: '116117', fields: { reasonText: 'pendant' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(fresh.core.store.syncState().snapshotComplete).toBe(false);
    expect(fresh.core.syncStatus().connection).not.toBe('online');
    proxy.faults.blockPaths = null;
    const truth = await expectConverged(ts, [fresh, other], 5_000);
    expect(truth.size).toBe(2);
    await waitFor('online again', () => fresh.core.syncStatus().connection === 'online', 5_000);
    // Same for a push refused on the way while the socket stays up: offline, then online again.
    proxy.faults.blockPaths = /^\/api\/sync\/push/;
    await call<RegulationCase>(fresh.core, 'case.open', { line: '116117', fields: { reasonText: 'poussé plus tard' } });
    await waitFor('push refused', () => fresh.core.syncStatus().connection === 'offline', 5_000);
    proxy.faults.blockPaths = null;
    await waitFor('pushed and online again', () => fresh.core.syncStatus().connection === 'online' && fresh.core.syncStatus().pending === 0, 10_000);
    expect((await expectConverged(ts, [fresh, other], 5_000)).size).toBe(3);
  });

  it('an offline period of 200 created and edited cases reaches the server exactly once, in order', async () => {
    const rs = await restartableServer('postgres', cleanups);
    const w = track(await openWorkstation(rs.url, { login: 'arm1' }));
    await waitFor('online', () => w.core.syncStatus().connection === 'online');
    await rs.stop();
    await waitFor('offline shown', () => w.core.syncStatus().connection === 'offline');
    const since = w.core.syncStatus().offlineSince;
    expect(since).toBeGreaterThan(0);
    for (let i = 0; i < 200; i++) {
      const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117' });
      await call(w.core, 'case.command', { caseId: k.id, command: { type: 'update_fields', baseVersion: k.version, changes: { reasonText: `hors ligne ${i}` } } });
    }
    expect(w.core.syncStatus().pending).toBe(400);
    await rs.start();
    await expectConverged(rs.view(), [w], 30_000);
    expect(w.core.store.pendingMutations(1000)).toHaveLength(0);
    const order = await serverMutationsOf(rs, w.core.workstationId);
    expect(order).toHaveLength(400);
    const localOrder = (w.core.store as unknown as { db: import('better-sqlite3-multiple-ciphers').Database }).db
      .prepare('SELECT mutation_id FROM outbox ORDER BY local_seq')
      .pluck()
      .all();
    expect(order).toEqual(localOrder);
  });

  it('a workstation restarted with a non-empty outbox pushes it when it comes back', async () => {
    const rs = await restartableServer('pglite', cleanups);
    const first = await openWorkstation(rs.url, { login: 'arm1' }, {});
    const dataDir = first.dataDir;
    await waitFor('online', () => first.core.syncStatus().connection === 'online');
    await rs.stop();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await call<RegulationCase>(first.core, 'case.open', { line: '116117' })).id);
    await first.core.close(); // the workstation is shut down with 20 mutations in its outbox
    await rs.start();
    const again = track(await openWorkstation(rs.url, { login: 'arm1' }, { dataDir }));
    const truth = await expectConverged(rs.view(), [again]);
    for (const id of ids) expect(truth.has(id)).toBe(true);
  });

  it('a workstation whose clock is 12 hours off changes neither order nor verdicts', async () => {
    const ts = track(await startTestServer('postgres'));
    const skew = -12 * 3_600_000;
    const late = track(await openWorkstation(ts.url, { login: 'arm1' }, { now: () => Date.now() + skew }));
    const dr = track(await openWorkstation(ts.url, { login: 'dr1' }));
    const before = Date.now();
    const k = await call<RegulationCase>(late.core, 'case.open', {
      line: '116117',
      fields: { callbackPhone: '0611223344', patient: { lastName: 'Heure', ageYears: 30 }, location: { inseeCode: '21231' }, reasonCode: 'FEVER', priority: 'P3' },
    });
    await call(late.core, 'case.command', { caseId: k.id, command: { type: 'send_to_regulation' } });
    await waitFor('case waiting on the physician’s screen', () => dr.core.store.getCase(k.id)?.status === 'waiting_regulation');
    await call(dr.core, 'case.command', { caseId: k.id, command: { type: 'take' } });
    const truth = await expectConverged(ts, [late, dr]);
    const c = truth.get(k.id)!;
    // Times come from the server once accepted: the skewed clock is recorded but does not count.
    expect(c.waitingSince).toBeGreaterThanOrEqual(before);
    expect(late.core.store.getCase(k.id)!.waitingSince).toBe(c.waitingSince);
    const { rows } = await ts.db.query<{ client_time: number; server_time: number }>('SELECT client_time, server_time FROM events WHERE case_id = $1 ORDER BY seq', [k.id]);
    expect(rows[0]!.server_time - rows[0]!.client_time).toBeGreaterThan(11 * 3_600_000);
  });

  it('server killed with SIGKILL in the middle of pushes: clients converge within 5 s of its restart', async () => {
    const { db, url, drop } = await freshDatabase('postgres');
    await db.close();
    cleanups.push(drop);
    const port = 5790 + Math.floor(Math.random() * 100) + 100;
    const proc = await spawnServer({ DATABASE_URL: url!, PERMANENCE_TOKEN_SECRET: TOKEN_SECRET }, port);
    cleanups.push(() => proc.kill());
    const ws = await Promise.all(['arm1', 'arm2', 'dr1'].map(async (l) => track(await openWorkstation(proc.url, { login: l }))));
    const writers = ws.map(async (w, j) => {
      for (let i = 0; i < 100; i++) {
        await call(w.core, 'case.open', { line: '116117', fields: { reasonText: `w${j} c${i}` } });
        await new Promise((r) => setTimeout(r, 3));
      }
    });
    await new Promise((r) => setTimeout(r, 150));
    await proc.kill('SIGKILL');
    await Promise.all(writers);
    const restartedAt = Date.now();
    await proc.restart();
    const db2 = await openPostgres(url!);
    cleanups.push(() => db2.close());
    const head = async () => (await db2.query<{ last_seq: number }>('SELECT last_seq FROM tenants WHERE id = $1', [TENANT])).rows[0]!.last_seq;
    await waitFor(
      'convergence after restart',
      async () => {
        const h = await head();
        return ws.every((w) => w.core.store.countPendingMutations() === 0 && w.core.store.syncState().cursorSeq === h);
      },
      15_000,
    );
    const convergedIn = Date.now() - restartedAt;
    expect(convergedIn).toBeLessThan(5_000 + 3_000); // restart of the process itself is included
    const { rows } = await db2.query<{ n: number; d: number; maxseq: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, max(seq)::int AS maxseq FROM events WHERE tenant = $1',
      [TENANT],
    );
    expect(rows[0]).toEqual({ n: 300, d: 300, maxseq: 300 });
    const truth = await serverCases(db2);
    for (const w of ws) expect(w.core.store.countCases()).toBe(truth.size);
  }, 60_000);

  it.each([
    ['marked as restored (new epoch)', true],
    ['not marked: the workstation sees the server behind its cursor', false],
  ])('server restored from an older backup, %s: workstations keep their outbox and push it again', async (_label, marked) => {
    const { db, url, drop } = await freshDatabase('postgres');
    const live = new URL(url!).pathname.slice(1);
    const backup = `${live}_backup`;
    cleanups.push(async () => {
      await drop();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${backup} WITH (FORCE)`);
      await a.end();
    });
    const admin = async (sql: string) => {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(sql);
      await a.end();
    };
    let server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
    const port = server.port;
    const w = track(await openWorkstation(server.url, { login: 'arm1' }));
    const before = [];
    for (let i = 0; i < 5; i++) before.push((await call<RegulationCase>(w.core, 'case.open', { line: '116117' })).id);
    await expectConverged({ server, db, url: server.url, close: async () => {} }, [w]);
    await server.close();
    await db.close();
    await admin(`CREATE DATABASE ${backup} TEMPLATE ${live}`);
    let db2 = await openPostgres(url!);
    server = await startServer({ db: db2, tokenSecret: TOKEN_SECRET, logLevel: 'silent', port });
    const after = [];
    for (let i = 0; i < 5; i++) after.push((await call<RegulationCase>(w.core, 'case.open', { line: '116117' })).id);
    await expectConverged({ server, db: db2, url: server.url, close: async () => {} }, [w]);
    // Disaster: the live database is lost; yesterday's backup is restored.
    await server.close();
    await db2.close();
    await admin(`DROP DATABASE ${live} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${live} TEMPLATE ${backup}`);
    db2 = await openPostgres(url!);
    if (marked) await markRestored(db2);
    server = await startServer({ db: db2, tokenSecret: TOKEN_SECRET, logLevel: 'silent', port });
    cleanups.push(async () => {
      await server.close();
      await db2.close();
    });
    const truth = await expectConverged({ server, db: db2, url: server.url, close: async () => {} }, [w], 20_000);
    for (const id of [...before, ...after]) expect(truth.has(id)).toBe(true);
    const { rows } = await db2.query<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM events WHERE tenant = $1', [TENANT]);
    expect(rows[0]).toEqual({ n: 10, d: 10 });
  }, 60_000);
});

describe('offline login', () => {
  it('lets a user who logged in here before work while the server is down, and syncs when it is back', async () => {
    const rs = await restartableServer('pglite', cleanups);
    const first = await openWorkstation(rs.url, { login: 'arm1' });
    await first.core.close();
    await rs.stop();
    const w = track(await openWorkstation(rs.url, null, { dataDir: first.dataDir, telephonyOrigins: [SIP_WS_URL] }));
    const wrong = await w.core.registry.call('session.login', { login: 'arm1', password: 'wrong-password' });
    expect(wrong.ok).toBe(false);
    const stranger = await w.core.registry.call('session.login', { login: 'arm2', password: 'arm2-password' });
    expect(!stranger.ok && stranger.error.message).toMatch(/jamais connecté sur ce poste/);
    const r = await w.core.registry.call('session.login', { login: 'arm1', password: 'arm1-password' });
    expect(r.ok && (r.value as { mode: string }).mode).toBe('offline');
    // The phone works though the central server is down: the SIP account was sealed with the password.
    const ha1 = sipHa1('arm1', '127.0.0.1', 'arm1pass');
    expect(await call(w.core, 'phone.account', {})).toEqual({ username: 'arm1', ha1, domain: '127.0.0.1', wsUrl: SIP_WS_URL });
    const onDisk = w.core.store.getMeta('offline-credential:cote-dor:arm1')!;
    expect(onDisk).not.toContain(ha1);
    const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117' });
    await rs.start();
    const truth = await expectConverged(rs.view(), [w], 20_000);
    expect(truth.has(k.id)).toBe(true);
  });
});

/** A server, a fault proxy in front of it, and an ARM's workstation online through the proxy. */
async function armBehindProxy(options: { tokenTtlSeconds?: number } = {}) {
  const ts = track(await startTestServer('postgres', options));
  const proxy = await startFaultProxy(ts.url);
  cleanups.push(() => proxy.close());
  const w = track(await openWorkstation(proxy.url, { login: 'arm1' }));
  await waitFor('online', () => w.core.syncStatus().connection === 'online');
  return { ts, proxy, w };
}

describe('a token that expires during an outage', () => {
  it('asks the user to log in again, keeps what was typed, and sends it under their name once they have', async () => {
    const { ts, proxy, w } = await armBehindProxy({ tokenTtlSeconds: 2 });
    // The outage outlasts the token (2 s here; 30 min in a center).
    proxy.faults.blockHttp = true;
    proxy.dropSockets();
    const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: { reasonText: 'saisi pendant la coupure' } });
    await new Promise((r) => setTimeout(r, 3_500));
    proxy.faults.blockHttp = false;
    // The server is back but refuses the old token: the workstation says so instead of "Hors ligne" for good.
    await waitFor('session expired', () => w.core.syncStatus().sessionExpired, 15_000);
    const status = w.core.syncStatus();
    expect(status.lastError).toMatch(/Session expirée sur le serveur : reconnectez-vous/);
    expect(status.pending).toBeGreaterThanOrEqual(1);
    expect((await serverCases(ts.db)).has(k.id)).toBe(false);
    // Logged in again: the case typed during the outage reaches the server, in the same user's name.
    await call(w.core, 'session.logout', {});
    await call(w.core, 'session.login', { login: 'arm1', password: 'arm1-password' });
    await waitFor('the case on the server', async () => (await serverCases(ts.db)).has(k.id), 15_000);
    expect((await serverCases(ts.db)).get(k.id)?.openedBy.userId).toBe('cote-dor:arm1');
    expect(w.core.syncStatus().sessionExpired).toBe(false);
  }, 60_000);

  it('a network failure reads in French, never "fetch failed"', async () => {
    const { proxy, w } = await armBehindProxy();
    await proxy.close();
    await call(w.core, 'case.open', { line: '116117' });
    await waitFor('offline', () => w.core.syncStatus().connection === 'offline' && w.core.syncStatus().lastError !== null, 15_000);
    expect(w.core.syncStatus().lastError).toMatch(/^Serveur injoignable \(/);
    expect(w.core.syncStatus().lastError).not.toMatch(/fetch failed|ECONN|socket hang up/);
  }, 30_000);
});

describe('shared workstation', () => {
  it('work done offline by one user is never sent under the next user’s name; it goes out when its author is back', async () => {
    const ts = track(await startTestServer('postgres'));
    const proxy = await startFaultProxy(ts.url);
    cleanups.push(() => proxy.close());
    const w = track(await openWorkstation(proxy.url, { login: 'arm1' }));
    await waitFor('online', () => w.core.syncStatus().connection === 'online');
    proxy.faults.blockHttp = true;
    proxy.dropSockets();
    const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: { reasonText: 'saisi hors ligne par ARM 1' } });
    await call(w.core, 'call.report', { callId: 'c-arm1', direction: 'in', line: '116117', remote: '0612345678', state: 'ringing', arrivedAt: Date.now(), answeredAt: null, endedAt: null, endReason: null });
    await call(w.core, 'session.logout', {});
    proxy.faults.blockHttp = false;
    // The next user of the workstation: their own work goes out, ARM 1's waits.
    await call(w.core, 'session.login', { login: 'arm2', password: 'arm2-password' });
    const mine = await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: { reasonText: 'ARM 2' } });
    await waitFor('ARM 2’s case on the server', async () => (await serverCases(ts.db)).has(mine.id), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    // Nothing of ARM 1's went out in ARM 2's name (a request of ARM 1's session still in flight at
    // the logout may land later, in ARM 1's own name: that is fine).
    const { rows: leaked } = await ts.db.query('SELECT 1 FROM events WHERE tenant = $1 AND case_id = $2 AND actor_user <> $3', [TENANT, k.id, 'cote-dor:arm1']);
    expect(leaked).toHaveLength(0);
    const { rows: calls } = await ts.db.query('SELECT 1 FROM call_reports WHERE tenant = $1 AND user_id <> $2', [TENANT, 'cote-dor:arm1']);
    expect(calls).toHaveLength(0);
    await call(w.core, 'session.logout', {});
    // ARM 1 is back: their case and their call reach the server, in their name.
    await call(w.core, 'session.login', { login: 'arm1', password: 'arm1-password' });
    await waitFor('ARM 1’s case on the server', async () => (await serverCases(ts.db)).has(k.id), 10_000);
    expect((await serverCases(ts.db)).get(k.id)?.openedBy.userId).toBe('cote-dor:arm1');
    await waitFor('ARM 1’s call on the server', async () => (await ts.db.query('SELECT user_id FROM call_reports WHERE tenant = $1', [TENANT])).rows.length === 1, 10_000);
    const { rows } = await ts.db.query<{ user_id: string }>('SELECT user_id FROM call_reports WHERE tenant = $1', [TENANT]);
    expect(rows[0]!.user_id).toBe('cote-dor:arm1');
  }, 60_000);
});

describe('PostgreSQL drops the server’s connections', () => {
  it('the server keeps running and answers with new connections', async () => {
    const ts = track(await startTestServer('postgres'));
    const w = track(await openWorkstation(ts.url, { login: 'arm1' }));
    await call<RegulationCase>(w.core, 'case.open', { line: '116117' });
    const { rows } = await ts.db.query<{ db: string }>('SELECT current_database() AS db');
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    // What a PostgreSQL restart or an administrator does to idle connections.
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [rows[0]!.db]);
    await admin.end();
    await new Promise((r) => setTimeout(r, 300));
    const again = await rawLogin(ts.url, 'arm2');
    expect(again.length).toBeGreaterThan(20);
    const k = await call<RegulationCase>(w.core, 'case.open', { line: '116117' });
    await waitFor('pushed after the loss', async () => (await serverCases(ts.db)).has(k.id), 10_000);
  });
});
