/**
 * The server as IT runs it: compiled to JavaScript and started by node alone, its readiness check,
 * and the command line's init, backup and restore on PostgreSQL and on the embedded PGlite.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { WebSocket } from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, type SqlDatabase } from '../../src-server/db/sql.js';
import { migrateServer } from '../../src-server/db/migrations.js';
import { startServer } from '../../src-server/server.js';
import { createUser } from '../../src-server/services/auth.js';
import { PG_ADMIN_URL, TENANT, TOKEN_SECRET, openWorkstation, waitFor } from '../fixtures/sync-harness.js';
import { freePort } from '../fixtures/psc.js';
import { startTcpCut } from '../fixtures/tcp-cut.js';
import { tempDir } from '../fixtures/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'dist-server/permanence-server.mjs');
const ADMIN_PASSWORD = 'Régulation-nuit-2026!';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => {
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
}, 60_000);

/** The compiled command line, run by node alone (no tsx), the password on standard input. */
function cli(args: string[], env: Record<string, string>, input?: string) {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, PERMANENCE_LOG_LEVEL: 'warn', ...env },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function emptyPostgres(): Promise<string> {
  const name = `permanence_ops_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const a = new pg.Client({ connectionString: PG_ADMIN_URL });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  });
  return PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
}

const epochOf = async (db: SqlDatabase) => (await db.query<{ epoch: string }>('SELECT epoch FROM tenants WHERE id = $1', [TENANT])).rows[0]!.epoch;
const caseIds = async (db: SqlDatabase) => (await db.query<{ id: string }>('SELECT id FROM cases WHERE tenant = $1 ORDER BY id', [TENANT])).rows.map((r) => r.id);

/** After `init`: an ARM account, three cases typed on a workstation and pushed to the server. */
async function threeCasesThrough(db: SqlDatabase): Promise<string[]> {
  await createUser(db, { tenant: TENANT, login: 'arm1', displayName: 'ARM 1', role: 'arm', password: 'arm1-password' });
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  try {
    const w = await openWorkstation(server.url, { login: 'arm1' });
    for (const name of ['Quintavalle', 'Vanderschueren', 'Oudinot']) {
      const r = await w.core.registry.call('case.open', { line: '116117', fields: { patient: { lastName: name } } });
      expect(r.ok).toBe(true);
    }
    await waitFor('pushed', () => w.core.store.countPendingMutations() === 0, 15_000);
    await w.close();
  } finally {
    await server.close();
  }
  return caseIds(db);
}

describe('the server as a service', () => {
  it('runs compiled, from node alone: live at once, ready when its database is, not ready when PostgreSQL stops', async () => {
    const url = await emptyPostgres();
    const port = await freePort();
    const child = spawn(process.execPath, [BUNDLE, 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, DATABASE_URL: url, PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_SERVER_PORT: String(port), PERMANENCE_LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
    cleanups.push(() => child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitFor('compiled server up', async () => (await fetch(`${base}/api/health`).catch(() => null))?.ok === true, 30_000);
    const ready = await fetch(`${base}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: { ok: true } });

    // The same server code on a PostgreSQL reached through a relay that the test can stop.
    const relay = await startTcpCut(Number(new URL(PG_ADMIN_URL).port || 5432));
    cleanups.push(() => relay.close());
    const relayed = new URL(url);
    relayed.port = String(relay.port);
    const db = await openPostgres(relayed.toString());
    cleanups.push(() => db.close().catch(() => {}));
    await migrateServer(db);
    const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
    cleanups.push(() => server.close());
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
    relay.down();
    const red = await fetch(`${server.url}/api/ready`);
    expect(red.status).toBe(503);
    expect(await red.json()).toMatchObject({ ready: false, database: { ok: false } });
    // Liveness stays green: the process is fine, restarting it would not bring the database back.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    relay.up();
    await waitFor('ready again', async () => (await fetch(`${server.url}/api/ready`)).status === 200, 15_000);
  });

  it('publishes on its internet-facing listener the effector page and its API only; the regulation API stays on the first', async () => {
    const { startTestServer } = await import('../fixtures/sync-harness.js');
    const ts = await startTestServer('pglite', { publicListener: { host: '127.0.0.1', port: 0 } });
    cleanups.push(() => ts.close());
    const pub = ts.server.publicUrl!;
    expect(pub).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(pub).not.toBe(ts.url);
    // Regulation API: there on the first listener, absent from the public one.
    const loginBody = JSON.stringify({ tenant: TENANT, login: 'arm1', password: 'arm1-password', workstationId: 'w' });
    const post = (base: string, path: string, body: string) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post(ts.url, '/api/login', loginBody)).status).toBe(200);
    expect((await post(pub, '/api/login', loginBody)).status).toBe(404);
    for (const path of ['/api/sync/snapshot', '/api/directory', '/api/stats', '/api/admin/users', '/api/cases/search?phone=%2B33600000000']) {
      expect((await fetch(`${pub}${path}`)).status, path).toBe(404);
    }
    // The regulation WebSocket cannot be opened there either.
    const refused = await new Promise<boolean>((done) => {
      const ws = new WebSocket(`${pub.replace('http', 'ws')}/api/sync/ws`);
      ws.on('open', () => done(false));
      ws.on('error', () => done(true));
    });
    expect(refused).toBe(true);
    // The effector page and its API: served, with the same rules (a wrong password is refused, not hidden).
    expect((await fetch(`${pub}/api/health`)).status).toBe(200);
    if (existsSync(join(ROOT, 'dist/effector-page/index.html'))) expect((await fetch(`${pub}/effecteur/`)).status).toBe(200);
    const effectorLogin = await post(pub, '/api/effector/login', JSON.stringify({ tenant: TENANT, rpps: '10000000001', password: 'mauvais-mot-de-passe' }));
    expect([400, 401]).toContain(effectorLogin.status);
  });

  it('never falls back silently to the embedded database, and no longer reads PERMANENCE_RESTORED', () => {
    const none = cli(['serve'], {});
    expect(none.status).toBe(2);
    expect(none.out).toContain('Aucune base de données configurée');
    const restored = cli(['serve', '--embedded'], { PERMANENCE_RESTORED: '1' });
    expect(restored.status).toBe(2);
    expect(restored.out).toContain('lancez une fois « permanence-server restore »');
  });

  it('on PostgreSQL, refuses to start without the secrets every instance shares (never one made in its own folder), or with a lease that is not a duration', () => {
    const noSecret = cli(['serve'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(noSecret.status).toBe(2);
    expect(noSecret.out).toContain('PERMANENCE_TOKEN_SECRET manque');
    const badLease = cli(['serve'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_LEASE_MS: '10s' });
    expect(badLease.status).toBe(2);
    expect(badLease.out).toContain('PERMANENCE_LEASE_MS invalide (« 10s »)');
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const lines = join(dir.path, 'lines.json');
    writeFileSync(join(dir.path, 'attente.wav'), '');
    writeFileSync(lines, JSON.stringify({ evapi: { host: '127.0.0.1', port: 8448 }, lines: [{ number: '116117', tenant: TENANT, label: '116117', roles: ['arm'], announcement: 'attente.wav' }], recording: { spoolDir: dir.path, storeDir: dir.path } }));
    const noKey = cli(['serve'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_LINES_CONFIG: lines });
    expect(noKey.status).toBe(2);
    expect(noKey.out).toContain('PERMANENCE_RECORDINGS_KEY_FILE manque');
  });

  it('PostgreSQL: init, backup (checked by a trial restore), restore into a new database: every case, a new epoch exactly once', async () => {
    const url = await emptyPostgres();
    const init = cli(['init', '--tenant', TENANT, '--name', 'Côte-d’Or', '--department', '21', '--admin', 'admin1'], { DATABASE_URL: url }, `${ADMIN_PASSWORD}\n`);
    expect(init.status, init.out).toBe(0);
    expect(init.out).toContain('administrateur « admin1 »');
    // A second init changes nothing.
    expect(cli(['init', '--tenant', TENANT, '--name', 'X', '--department', '21', '--admin', 'admin2'], { DATABASE_URL: url }, `${ADMIN_PASSWORD}\n`).out).toContain('existe déjà');
    const db = await openPostgres(url);
    const written = await threeCasesThrough(db);
    const epoch = await epochOf(db);
    await db.close();
    expect(written).toHaveLength(3);

    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const file = join(dir.path, 'permanence.dump');
    const backup = cli(['backup', file], { DATABASE_URL: url });
    expect(backup.status, backup.out).toBe(0);
    expect(backup.out).toContain('3 dossiers');
    expect(statSync(file).size).toBeGreaterThan(0);

    const target = await emptyPostgres();
    const restore = cli(['restore', '--from', file], { DATABASE_URL: target });
    expect(restore.status, restore.out).toBe(0);
    const restored = await openPostgres(target);
    cleanups.push(() => restored.close());
    expect(await caseIds(restored)).toEqual(written);
    const newEpoch = await epochOf(restored);
    expect(newEpoch).not.toBe(epoch);
    // Starting again (migrate, serve) does not make yet another epoch.
    expect(cli(['migrate'], { DATABASE_URL: target }).status).toBe(0);
    expect(await epochOf(restored)).toBe(newEpoch);
  });

  it('PGlite: the same with the embedded database (server stopped)', async () => {
    const source = tempDir();
    cleanups.push(source.cleanup);
    const env = { PERMANENCE_SERVER_DATA_DIR: source.path };
    const init = cli(['init', '--embedded', '--tenant', TENANT, '--name', 'Côte-d’Or', '--department', '21', '--admin', 'admin1'], env, `${ADMIN_PASSWORD}\n`);
    expect(init.status, init.out).toBe(0);
    let db = await openPglite(join(source.path, 'pglite'));
    const written = await threeCasesThrough(db);
    const epoch = await epochOf(db);
    await db.close();

    const file = join(source.path, 'permanence-pglite.tar.gz');
    const backup = cli(['backup', '--embedded', file], env);
    expect(backup.status, backup.out).toBe(0);
    expect(backup.out).toContain('3 dossiers');

    const target = tempDir();
    cleanups.push(target.cleanup);
    const restore = cli(['restore', '--embedded', '--from', file], { PERMANENCE_SERVER_DATA_DIR: target.path });
    expect(restore.status, restore.out).toBe(0);
    expect(existsSync(join(target.path, 'pglite'))).toBe(true);
    db = await openPglite(join(target.path, 'pglite'));
    try {
      expect(await caseIds(db)).toEqual(written);
      expect(await epochOf(db)).not.toBe(epoch);
    } finally {
      await db.close();
    }
  });

  it('refuses a weak administrator password, and takes none from the command line', () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const weak = cli(['init', '--embedded', '--tenant', TENANT, '--name', 'Côte-d’Or', '--department', '21', '--admin', 'admin1'], { PERMANENCE_SERVER_DATA_DIR: dir.path }, 'motdepasse\n');
    expect(weak.status).toBe(2);
    expect(weak.out).toContain('Mot de passe refusé');
    const onCommandLine = cli(['init', '--embedded', '--password', ADMIN_PASSWORD], { PERMANENCE_SERVER_DATA_DIR: dir.path });
    expect(onCommandLine.status).not.toBe(0);
  });
});
