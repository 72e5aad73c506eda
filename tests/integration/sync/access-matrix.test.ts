/**
 * Deny by default, checked as a whole: every route the server registers × every kind of caller
 * (nobody, each role of the center, a partner organisation's user, an effector doctor) against
 * one table. A route added without a row here fails the test; a route whose rule lets in
 * someone the table does not, or keeps out someone it does, fails it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../fixtures/tmp.js';
import { rawLogin, startTestServer, type TestServer } from '../../fixtures/sync-harness.js';
import { EffectorClient, setUpEffectors } from '../../fixtures/effector-center.js';
import { effector } from '../../fixtures/effectors.js';

type Caller = 'anonymous' | 'arm' | 'physician' | 'supervisor' | 'admin' | 'partner' | 'effector';
const CALLERS: Caller[] = ['anonymous', 'arm', 'physician', 'supervisor', 'admin', 'partner', 'effector'];

/** Who may call what: 'public', or the callers let in. Everything else is refused. */
const MATRIX: Record<string, string> = {
  'GET /api/health': 'public',
  'GET /api/ready': 'public',
  'GET /effecteur/*': 'public',
  'GET /effecteur': 'public',
  'POST /api/login': 'public',
  'POST /api/effector/login': 'public',
  // Pro Santé Connect (registered when the center has a PSC client): the flow's own secrets guard it.
  'POST /api/psc/start': 'public',
  'GET /api/psc/callback': 'public',
  'POST /api/psc/flows/:id': 'public',
  'POST /api/token/refresh': 'arm physician supervisor admin partner',
  'POST /api/logout': 'arm physician supervisor admin partner effector',
  'POST /api/ws-ticket': 'arm physician supervisor admin partner effector',
  // Cases: those who work on them. Not an admin, not a partner.
  'POST /api/sync/push': 'arm physician supervisor',
  'GET /api/sync/pull': 'arm physician supervisor',
  'GET /api/sync/snapshot': 'arm physician supervisor',
  'GET /api/cases/search': 'arm physician supervisor',
  'GET /api/cases/:id/events': 'arm physician supervisor',
  'POST /api/cases/:id/break-glass': 'admin',
  'GET /api/ws': 'arm physician supervisor admin partner',
  // Accounts and sessions.
  'POST /api/admin/users': 'admin',
  'PUT /api/admin/users/:login': 'admin',
  'GET /api/admin/sessions': 'admin',
  'DELETE /api/admin/sessions/:id': 'admin',
  'PUT /api/admin/users/:login/organisation': 'admin',
  'PUT /api/admin/organisations': 'admin',
  'POST /api/admin/effector-accounts': 'admin',
  // The directory: a partner gets the sectors only (checked below).
  'GET /api/directory': 'arm physician supervisor admin partner',
  'PUT /api/directory': 'admin',
  'GET /api/agents': 'arm physician supervisor admin',
  'PUT /api/agent/state': 'arm physician supervisor',
  'POST /api/calls': 'arm physician supervisor',
  'GET /api/calls/live': 'arm physician supervisor',
  // The lines: the queue's figures for every staff member (wall screen), the callers' numbers to
  // those who take calls, calling back to those who call.
  'GET /api/lines/status': 'arm physician supervisor admin',
  'GET /api/callbacks': 'arm physician supervisor',
  'POST /api/callbacks/:id/claim': 'arm physician',
  'POST /api/callbacks/:id/result': 'arm physician',
  // Recordings: listened to by those who work on cases (audited), exported by a supervisor.
  'GET /api/cases/:id/recordings': 'arm physician supervisor',
  'GET /api/recordings/:id/audio': 'arm physician supervisor',
  'POST /api/recordings/:id/export': 'supervisor',
  // Figures and reports: the center's supervision.
  'GET /api/stats': 'supervisor admin',
  'GET /api/stats/today': 'arm physician supervisor admin',
  'GET /api/server/state': 'arm physician supervisor admin',
  'GET /api/reports/activity.csv': 'supervisor admin',
  'GET /api/reports/activity.pdf': 'supervisor admin',
  'GET /api/reports/acts.csv': 'supervisor admin',
  'GET /api/reports/effector-incentives.csv': 'supervisor admin',
  'GET /api/agenda/offer': 'supervisor admin',
  // Settings: read by those who need them, changed by an admin.
  'GET /api/settings/pdsa': 'arm physician supervisor admin partner',
  'PUT /api/settings/pdsa': 'admin',
  'GET /api/settings/incentives': 'supervisor admin',
  'PUT /api/settings/incentives': 'admin',
  'GET /api/settings/cascade': 'arm physician supervisor admin',
  'PUT /api/settings/cascade': 'admin',
  // Effectors, seen from regulation.
  'GET /api/effectors/availability': 'arm physician supervisor',
  'GET /api/effector-requests': 'arm physician supervisor',
  'POST /api/effector-requests': 'physician',
  'POST /api/effector-requests/:id/cancel': 'physician',
  // The effector's own page.
  'POST /api/effector/token/refresh': 'effector',
  'GET /api/effector/state': 'effector',
  'POST /api/effector/requests/:id/accept': 'effector',
  'POST /api/effector/requests/:id/decline': 'effector',
  'GET /api/effector/requests/:id/patient': 'effector',
  'POST /api/effector/requests/:id/outcome': 'effector',
  'PUT /api/effector/availability': 'effector',
  'POST /api/effector/unavailability': 'effector',
  'DELETE /api/effector/unavailability/:id': 'effector',
  'POST /api/effector/slots': 'effector',
  'DELETE /api/effector/slots/:id': 'effector',
  'POST /api/effector/bookings/:id/state': 'effector',
  'GET /api/effector/ws': 'effector',
  // The shared agenda: partners search, hold, book, see their own bookings.
  'POST /api/agenda/search': 'arm physician supervisor admin partner',
  'POST /api/agenda/holds': 'arm physician supervisor partner',
  'POST /api/agenda/bookings/:id/confirm': 'arm physician supervisor partner',
  'POST /api/agenda/bookings/:id/state': 'arm physician supervisor partner',
  'POST /api/agenda/surnombre': 'arm physician supervisor partner',
  'GET /api/agenda/bookings': 'arm physician supervisor partner',
  'POST /api/agenda/slots': 'admin partner',
  'GET /api/organisations': 'arm physician supervisor admin',
  // Hub Santé.
  'GET /api/hub/status': 'arm physician supervisor admin',
  'GET /api/hub/quarantine': 'supervisor',
  'POST /api/hub/quarantine/:id/replay': 'supervisor',
  'GET /api/hub/appointments': 'arm physician supervisor',
  'POST /api/hub/appointments/:id/link': 'arm physician',
  'GET /api/hub/cases/:id/messages': 'arm physician supervisor',
  // The second factor and the center's security settings.
  'POST /api/me/second-factor/enrol': 'arm physician supervisor admin partner',
  'POST /api/me/second-factor/confirm': 'arm physician supervisor admin partner',
  'GET /api/settings/security': 'arm physician supervisor admin',
  'PUT /api/settings/security': 'admin',
  // The access audit.
  'POST /api/audit/reads': 'arm physician supervisor partner',
  'GET /api/audit/cases/:id': 'supervisor admin',
  'GET /api/audit/users/:login/accesses.csv': 'supervisor admin',
};

let ts: TestServer;
const tokens = new Map<Caller, string>();
const doctor = effector(1);
/** An effector page as the build makes it: its files, and a file beside it that must not be served. */
const PAGE_ROOT = tempDir();
const PAGE = join(PAGE_ROOT.path, 'page');
mkdirSync(join(PAGE, 'assets'), { recursive: true });
writeFileSync(join(PAGE, 'index.html'), '<!doctype html><title>Effecteur</title>');
writeFileSync(join(PAGE, 'assets/app.js'), 'console.log(1);');
writeFileSync(join(PAGE_ROOT.path, 'secret.txt'), 'not for the web');

beforeAll(async () => {
  // A PSC client configured (its provider need not answer here): its routes are in the matrix too.
  ts = await startTestServer('postgres', {
    effectorPageDir: PAGE,
    psc: { discoveryUrl: 'http://127.0.0.1:9/.well-known/wallet-openid-configuration', clientId: 'c', clientSecret: 's', redirectUri: 'http://127.0.0.1:9/api/psc/callback' },
  });
  await setUpEffectors(ts.url, [doctor]);
  const admin = await rawLogin(ts.url, 'admin1');
  const put = (path: string, body: unknown) =>
    fetch(`${ts.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await put('/api/admin/organisations', { id: 'telesec-21', name: 'Télésecrétariat', kind: 'tele_secretariat', sees: ['public'], cpts: [], canBook: true })).status).toBe(200);
  expect((await put('/api/admin/users/arm3/organisation', { organisationId: 'telesec-21' })).status).toBe(200);
  for (const [caller, login] of [['arm', 'arm1'], ['physician', 'dr1'], ['supervisor', 'sup1'], ['admin', 'admin1'], ['partner', 'arm3']] as const) tokens.set(caller, await rawLogin(ts.url, login));
  tokens.set('effector', (await EffectorClient.login(ts.url, doctor.id)).token);
}, 60_000);
afterAll(async () => {
  await ts.close();
  PAGE_ROOT.cleanup();
});

/** A concrete path for a route pattern: parameters get a well-formed value. */
const pathOf = (url: string) => url.replace(':id', randomUUID()).replace(':login', 'arm2').replace('*', 'index.html');

describe('who may call each route', () => {
  it('every registered route has a rule, and the table covers exactly the routes there are', () => {
    const routes = ts.server.routes().filter((r) => r.method !== 'HEAD');
    expect(routes.filter((r) => !r.access).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(routes.map((r) => `${r.method} ${r.url}`).toSorted()).toEqual(Object.keys(MATRIX).toSorted());
    // A GET's automatic HEAD carries the GET's rule.
    for (const head of ts.server.routes().filter((r) => r.method === 'HEAD')) expect(head.access, head.url).toEqual(routes.find((r) => r.method === 'GET' && r.url === head.url)?.access);
  });

  it('every route × every caller answers as the table says', { timeout: 120_000 }, async () => {
    const wrong: string[] = [];
    for (const [route, rule] of Object.entries(MATRIX)) {
      if (route === 'POST /api/logout') continue; // below: it ends the caller's session
      const [method, url] = route.split(' ') as [string, string];
      for (const caller of CALLERS) {
        const allowed = rule === 'public' || rule.split(' ').includes(caller);
        const token = tokens.get(caller);
        const res = await fetch(`${ts.url}${pathOf(url)}`, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
        });
        const text = await res.text();
        // A 403 of the route's rule says so; another 403 is the case's own rule (not the one who accepted, …).
        const refused = res.status === 401 || (res.status === 403 && text.includes('"refusedBy":"access-rule"'));
        if (allowed === refused) wrong.push(`${route} by ${caller}: ${res.status} ${text.slice(0, 120)}`);
        if (!allowed && caller === 'anonymous' && res.status !== 401) wrong.push(`${route} by nobody: ${res.status}, not 401`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the effector page’s files are served to anyone, by a route that says so, and nothing beside them', async () => {
    const index = await fetch(`${ts.url}/effecteur/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Effecteur</title>');
    expect(index.headers.get('cache-control')).toBe('no-store');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${ts.url}/effecteur/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${ts.url}/effecteur/../secret.txt`)).status).toBe(404);
    expect((await fetch(`${ts.url}/effecteur/%2e%2e/secret.txt`)).status).toBe(404);
    expect((await fetch(`${ts.url}/effecteur/nothing.js`)).status).toBe(404);
    expect((await fetch(`${ts.url}/effecteur`, { redirect: 'manual' })).headers.get('location')).toBe('/effecteur/');
  });

  it('logout ends the caller’s own session, whoever he is; its token opens nothing after', async () => {
    for (const login of ['arm2', 'dr2']) {
      const token = await rawLogin(ts.url, login);
      const out = await fetch(`${ts.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(out.status).toBe(200);
      const after = await fetch(`${ts.url}/api/sync/pull?after=0`, { headers: { authorization: `Bearer ${token}` } });
      expect(after.status).toBe(401);
      expect(((await after.json()) as { error: { code: string } }).error.code).toBe('session_ended');
    }
    expect((await fetch(`${ts.url}/api/logout`, { method: 'POST' })).status).toBe(401);
  });

  it('a partner organisation’s directory holds the sectors and the agenda’s doctors, not the duty rota nor the pharmacies', async () => {
    const res = await fetch(`${ts.url}/api/directory`, { headers: { authorization: `Bearer ${tokens.get('partner')}` } });
    const dir = (await res.json()) as { sectors: unknown[]; effectors: { id: string }[]; onCall: unknown[]; pharmacies: unknown[] };
    expect(dir.sectors.length).toBeGreaterThan(0);
    expect([dir.onCall, dir.pharmacies]).toEqual([[], []]);
    expect(dir.effectors.map((e) => e.id)).toEqual([doctor.id]);
    expect((await fetch(`${ts.url}/api/directory`, { headers: { authorization: `Bearer ${tokens.get('effector')}` } })).status).toBe(403);
  });

  it('the SIP account (its HA1) goes only to those who take calls', async () => {
    const login = async (who: string) =>
      (await (await fetch(`${ts.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'cote-dor', login: who, password: `${who}-password`, workstationId: 'w-sip' }) })).json()) as { sip: { ha1: string } | null };
    expect((await login('arm1')).sip?.ha1).toMatch(/^[0-9a-f]{32}$/);
    // admin1 has no SIP account in the fixture; give him one: still none in his login's answer.
    await ts.db.query("UPDATE users SET sip_username = 'adm', sip_ha1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' WHERE id = 'cote-dor:admin1'");
    expect((await login('admin1')).sip).toBeNull();
  });

  it('a token goes in the Authorization header only: one in the address is refused on every route', async () => {
    const token = tokens.get('supervisor')!;
    for (const path of ['/api/stats/today', `/api/sync/pull?after=0`, '/api/agents']) {
      const res = await fetch(`${ts.url}${path}${path.includes('?') ? '&' : '?'}token=${token}`);
      expect(res.status, path).toBe(401);
    }
    // Every API answer says no-store: patient data stays out of caches.
    const res = await fetch(`${ts.url}/api/agents`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
