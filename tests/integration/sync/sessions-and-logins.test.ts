/**
 * Sessions that end and logins that resist guessing, against a real server and PostgreSQL:
 * an account changed by an admin loses its sessions at once (refresh looks at the account), an
 * existing login cannot be created again, the admin sees who is logged in where and ends a session,
 * wrong passwords meet growing delays per account and per address (workstation and effector logins
 * alike), and every login says from which address.
 */
import { effectorPassword } from '../../fixtures/effectors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawLogin, restartableServer, startTestServer, TENANT, type TestServer } from '../../fixtures/sync-harness.js';
import { openWorkstation } from '../../fixtures/workstation.js';
import { setUpEffectors } from '../../fixtures/effector-center.js';
import { effector } from '../../fixtures/effectors.js';

let ts: TestServer;
let admin: string;
beforeAll(async () => {
  // Addresses are those a proxy on loopback forwards: each test plays its own callers.
  ts = await startTestServer('postgres', { trustProxy: '127.0.0.1' });
  admin = await rawLogin(ts.url, 'admin1');
});
afterAll(() => ts.close());

const request = (method: string, path: string, options: { token?: string; body?: unknown; from?: string } = {}) =>
  fetch(`${ts.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.from ? { 'x-forwarded-for': options.from } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
const login = (who: string, password: string, from: string, workstationId = 'poste-test') =>
  request('POST', '/api/login', { body: { tenant: TENANT, login: who, password, workstationId }, from });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('sessions that end', () => {
  it('a password reset and a downgrade end the old sessions: the old token neither works nor refreshes', async () => {
    const old = await rawLogin(ts.url, 'dr3');
    expect((await request('POST', '/api/token/refresh', { token: old })).status).toBe(200);
    const changed = await request('PUT', '/api/admin/users/dr3', { token: admin, body: { role: 'arm', password: 'dr3-new-password' } });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ sessionsEnded: 1 });
    const refresh = await request('POST', '/api/token/refresh', { token: old });
    expect(refresh.status).toBe(401);
    expect((await errorOf(refresh)).code).toBe('session_ended');
    expect((await request('GET', '/api/sync/pull?after=0', { token: old })).status).toBe(401);
    expect((await login('dr3', 'dr3-password', '10.0.0.1')).status).toBe(401);
    const fresh = await login('dr3', 'dr3-new-password', '10.0.0.1');
    expect(((await fresh.json()) as { user: { role: string } }).user.role).toBe('arm');
  });

  it('a deactivated account is logged out everywhere and cannot log in', async () => {
    const a = await rawLogin(ts.url, 'dr4');
    expect((await request('PUT', '/api/admin/users/dr4', { token: admin, body: { active: false } })).status).toBe(200);
    expect((await request('GET', '/api/agents', { token: a })).status).toBe(401);
    expect((await login('dr4', 'dr4-password', '10.0.0.2')).status).toBe(401);
  });

  it('creating a login that exists is refused and changes nothing', async () => {
    const res = await request('POST', '/api/admin/users', { token: admin, body: { login: 'dr5', displayName: 'Imposteur', role: 'admin', password: 'takeover-password' } });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe('L’identifiant « dr5 » existe déjà : modifiez ce compte plutôt que d’en créer un autre.');
    const still = await login('dr5', 'dr5-password', '10.0.0.3');
    expect(((await still.json()) as { user: { role: string; displayName: string } }).user).toMatchObject({ role: 'physician', displayName: 'DR 5' });
    expect((await login('dr5', 'takeover-password', '10.0.0.3')).status).toBe(401);
  });

  it('the admin sees who is logged in where and from which address, and ends a session', async () => {
    const res = await login('dr6', 'dr6-password', '192.0.2.7', 'poste-regulation-3');
    const dr6 = ((await res.json()) as { token: string }).token;
    const list = (await (await request('GET', '/api/admin/sessions', { token: admin })).json()) as { sessions: { id: string; principal: string; workstation: string; address: string; displayName: string }[] };
    const mine = list.sessions.find((s) => s.principal === 'cote-dor:dr6')!;
    expect(mine).toMatchObject({ workstation: 'poste-regulation-3', address: '192.0.2.7', displayName: 'DR 6' });
    expect((await request('DELETE', `/api/admin/sessions/${mine.id}`, { token: admin })).status).toBe(200);
    expect((await request('GET', '/api/agents', { token: dr6 })).status).toBe(401);
    // Each of these admin actions is in the account audit, with the admin's address.
    // Settings too: every admin action on accounts and settings is an audited event.
    const cascade = await request('PUT', '/api/settings/cascade', { token: admin, body: { treatingDoctorMs: 300_000, tierMs: 600_000 } });
    expect(cascade.status).toBe(200);
    const { rows } = await ts.db.query<{ action: string; target: string }>("SELECT action, target FROM account_audit WHERE actor = 'cote-dor:admin1' ORDER BY id");
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['user.update', 'session.end', 'settings.cascade']));
    const logins = await ts.db.query<{ address: string }>("SELECT address FROM account_audit WHERE actor = 'cote-dor:dr6' AND action = 'login'");
    expect(logins.rows.map((r) => r.address)).toEqual(['192.0.2.7']);
  });
});

describe('logins that resist guessing', () => {
  it('50 wrong passwords in a row, then the right one: refused with the time to wait, in French', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await login('arm2', `guess-${i}`, `198.51.100.${i}`)).status);
    // Five tries, then one try per growing delay: the rest are refused before any password is checked.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(44);
    const right = await login('arm2', 'arm2-password', '198.51.100.200');
    expect(right.status).toBe(429);
    expect((await errorOf(right)).message).toMatch(/^Trop d’essais de connexion : réessayez dans \d+ (s|min)\.$/);
  });

  it('200 wrong passwords in parallel check only a handful of them', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => login('arm1', `parallel-${i}`, `203.0.113.${i % 250}`)));
    const checked = results.filter((r) => r.status === 401).length;
    expect(checked).toBeLessThanOrEqual(6);
    expect(results.filter((r) => r.status === 429).length).toBe(200 - checked);
    expect((await login('arm1', 'arm1-password', '203.0.113.251')).status).toBe(429);
  });

  it('one address guessing many accounts is slowed down too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(`nobody${i}`, 'whatever-pass', '192.0.2.99')).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(21).every((s) => s === 429)).toBe(true);
    // Another address is not concerned.
    expect((await login('sup1', 'sup1-password', '192.0.2.100')).status).toBe(200);
  });

  it('an effector’s login is limited the same way', async () => {
    const doctor = effector(7);
    await setUpEffectors(ts.url, [doctor]);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await request('POST', '/api/effector/login', { body: { tenant: TENANT, login: doctor.id, password: `nope-${i}` }, from: `100.64.0.${i}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
    const right = await request('POST', '/api/effector/login', { body: { tenant: TENANT, login: doctor.id, password: effectorPassword(doctor.id) }, from: '100.64.0.50' });
    expect(right.status).toBe(429);
  });

  it('the delays survive a restart of the server (they are kept in the database)', async () => {
    const { rows } = await ts.db.query<{ key: string; points: number }>("SELECT key, points FROM login_limits WHERE key = 'attempts:account:cote-dor:arm2'");
    expect(rows[0]!.points).toBeGreaterThanOrEqual(50);
  });
});

describe('an offline session on a workstation', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('ends when the server, back, refuses the password, and that password no longer opens the workstation offline', async () => {
    const rs = await restartableServer('pglite', cleanups);
    const first = await openWorkstation(rs.url, { login: 'arm3' });
    await first.core.close();
    // The admin resets the password while the workstation is away from the server.
    const adminToken = await rawLogin(rs.url, 'admin1');
    const put = await fetch(`${rs.url}/api/admin/users/arm3`, { method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'arm3-new-password' }) });
    expect(put.status).toBe(200);
    await rs.stop();
    const w = await openWorkstation(rs.url, null, { dataDir: first.dataDir });
    cleanups.push(() => w.close());
    const offline = await w.core.registry.call('session.login', { login: 'arm3', password: 'arm3-password' });
    expect(offline.ok && (offline.value as { mode: string }).mode).toBe('offline');
    const ended = new Promise<void>((resolve) => w.core.subscribe((event, payload) => event === 'session.changed' && (payload as { session: unknown }).session === null && resolve()));
    await rs.start();
    await ended;
    await rs.stop();
    const again = await w.core.registry.call('session.login', { login: 'arm3', password: 'arm3-password' });
    expect(again.ok).toBe(false);
  }, 60_000);

  it('is refused past the end of the last server session (12 h by default)', async () => {
    const rs = await restartableServer('pglite', cleanups);
    const first = await openWorkstation(rs.url, { login: 'arm1' });
    await first.core.close();
    await rs.stop();
    const later = await openWorkstation(rs.url, null, { dataDir: first.dataDir, now: () => Date.now() + 13 * 3600_000 });
    cleanups.push(() => later.close());
    const r = await later.core.registry.call('session.login', { login: 'arm1', password: 'arm1-password' });
    expect(!r.ok && r.error.message).toMatch(/dernière connexion de cet utilisateur au serveur est trop ancienne/);
  }, 60_000);
});
