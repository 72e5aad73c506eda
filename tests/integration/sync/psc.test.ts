/**
 * Pro Santé Connect against a local provider shaped like PSC (scripts/local-psc): a physician
 * logs in by his RPPS and gets a server session like a password login; a doctor with two
 * practices chooses one; an RPPS that no account of the center has, an expired code, a replayed
 * callback and a provider that does not answer are each refused with a clear French message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPsc, type LocalPsc } from '../../../scripts/local-psc/provider.js';
import { freePort, throughLocalPsc } from '../../fixtures/psc.js';
import { startTestServer, TENANT, type TestServer } from '../../fixtures/sync-harness.js';
import { openWorkstation } from '../../fixtures/workstation.js';
import { setUpEffectors } from '../../fixtures/effector-center.js';
import { effector } from '../../fixtures/effectors.js';

const doctor = effector(4, { firstName: 'Léa', lastName: 'Marchand' });

const practice = (name: string) => ({
  codeProfession: '10',
  codeSavoirFaire: 'SM54',
  activities: [{ raisonSocialeSite: name, identifiantStructure: '21000000100000', codeModeExercice: 'L' as const, adresse: '1 rue de la Liberté, 21000 Dijon' }],
});

let psc: LocalPsc;
let ts: TestServer;
let callback: string;
beforeAll(async () => {
  const port = await freePort();
  callback = `http://127.0.0.1:${port}/api/psc/callback`;
  psc = await startLocalPsc({
    clients: [{ clientId: 'permanence-21', clientSecret: 'psc-client-secret-for-tests', redirectUris: [callback] }],
    professionals: [
      { subjectNameId: '810003461033', givenName: 'Claire', familyName: 'MOREAU', practices: [practice('Cabinet Moreau')] },
      { subjectNameId: '810003461041', givenName: 'Paul', familyName: 'ROCHE', practices: [practice('Cabinet Roche'), practice('MMG Dijon Nord')] },
      { subjectNameId: '810009999990', givenName: 'Inconnu', familyName: 'DU CENTRE', practices: [practice('Ailleurs')] },
      { subjectNameId: `8${doctor.id}`, givenName: 'Léa', familyName: 'MARCHAND', practices: [practice('Cabinet Marchand')] },
    ],
    codeTtlSeconds: 2,
  });
  ts = await startTestServer('postgres', {
    port,
    psc: { discoveryUrl: psc.discoveryUrl, clientId: 'permanence-21', clientSecret: 'psc-client-secret-for-tests', redirectUri: callback },
  });
  await ts.db.query("UPDATE users SET rpps = '10003461033' WHERE id = 'cote-dor:dr1'");
  await ts.db.query("UPDATE users SET rpps = '10003461041' WHERE id = 'cote-dor:dr2'");
  await setUpEffectors(ts.url, [doctor]);
});
afterAll(async () => {
  await ts.close();
  await psc.close();
});

const start = async (kind: 'workstation' | 'effector' = 'workstation') => {
  const res = await fetch(`${ts.url}/api/psc/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TENANT, workstationId: 'poste-psc', kind }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { flowId: string; secret: string; authorizationUrl: string };
};
const claim = (flow: { flowId: string; secret: string }, practiceIndex?: number) =>
  fetch(`${ts.url}/api/psc/flows/${flow.flowId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: flow.secret, ...(practiceIndex === undefined ? {} : { practice: practiceIndex }) }) });

describe('Pro Santé Connect', () => {
  it('a physician logs in by his RPPS: PKCE, state and nonce checked, a session like any other, the level recorded', async () => {
    const flow = await start();
    const url = new URL(flow.authorizationUrl);
    expect(url.searchParams.get('scope')).toBe('openid scope_all');
    expect(url.searchParams.get('acr_values')).toBe('eidas1');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(((await (await claim(flow)).json()) as { status: string }).status).toBe('pending');
    const back = await throughLocalPsc(flow.authorizationUrl, '810003461033', callback);
    const page = await fetch(back);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connexion réussie');
    const done = (await (await claim(flow)).json()) as { status: string; login: { token: string; user: { id: string; role: string } } };
    expect(done).toMatchObject({ status: 'done', login: { user: { id: 'cote-dor:dr1', role: 'physician' } } });
    expect((await fetch(`${ts.url}/api/agents`, { headers: { authorization: `Bearer ${done.login.token}` } })).status).toBe(200);
    const { rows } = await ts.db.query<{ method: string; acr: string }>("SELECT method, acr FROM sessions WHERE principal = 'cote-dor:dr1' AND method = 'psc'");
    expect(rows).toEqual([{ method: 'psc', acr: 'eidas1' }]);
    // Collected once.
    expect((await claim(flow)).status).toBe(404);
  });

  it('a doctor with two practices chooses the one he works under', async () => {
    const flow = await start();
    const page = await fetch(await throughLocalPsc(flow.authorizationUrl, '810003461041', callback));
    expect(await page.text()).toContain('Choisissez votre exercice');
    const choose = (await (await claim(flow)).json()) as { status: string; practices: string[] };
    expect(choose).toEqual({ status: 'choose', practices: ['Cabinet Roche, 1 rue de la Liberté, 21000 Dijon', 'MMG Dijon Nord, 1 rue de la Liberté, 21000 Dijon'] });
    const done = (await (await claim(flow, 1)).json()) as { status: string; login: { user: { id: string } } };
    expect(done).toMatchObject({ status: 'done', login: { user: { id: 'cote-dor:dr2' } } });
  });

  it('an RPPS no account of the center has is refused, and said so', async () => {
    const flow = await start();
    const page = await fetch(await throughLocalPsc(flow.authorizationUrl, '810009999990', callback));
    expect(page.status).toBe(401);
    const res = await claim(flow);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Aucun compte actif de ce centre n’est rattaché au RPPS 10009999990.');
  });

  it('a replayed callback and an expired code are refused', async () => {
    const flow = await start();
    const back = await throughLocalPsc(flow.authorizationUrl, '810003461033', callback);
    expect((await fetch(back)).status).toBe(200);
    const replay = await fetch(back);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('expiré ou a déjà servi');

    const slow = await start();
    const late = await throughLocalPsc(slow.authorizationUrl, '810003461033', callback);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await fetch(late)).status).toBe(401);
    const res = await claim(slow);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Connexion Pro Santé Connect refusée : le code est expiré ou invalide. Recommencez.');
  });

  it('an effector doctor logs in to his phone page with PSC; a doctor with no page in the center is refused', async () => {
    const flow = await start('effector');
    expect(await (await fetch(await throughLocalPsc(flow.authorizationUrl, `8${doctor.id}`, callback))).text()).toContain('revenez à la page effecteur');
    const done = (await (await claim(flow)).json()) as { status: string; login: { token: string; name: string } };
    expect(done).toMatchObject({ status: 'done', login: { name: 'Dr Léa MARCHAND' } });
    expect((await fetch(`${ts.url}/api/effector/state`, { headers: { authorization: `Bearer ${done.login.token}` } })).status).toBe(200);
    const { rows } = await ts.db.query<{ method: string }>(`SELECT method FROM sessions WHERE principal = 'effector:${doctor.id}'`);
    expect(rows).toEqual([{ method: 'psc' }]);
    // A physician of the center, but no effector page: refused on the effector side.
    const other = await start('effector');
    await fetch(await throughLocalPsc(other.authorizationUrl, '810003461033', callback));
    const refused = await claim(other);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('Aucune page effecteur de ce centre pour le RPPS 10003461033.');
  });

  it('a provider that does not answer: a clear 503, and the password still opens the account', async () => {
    const down = await startTestServer('postgres', {
      psc: { discoveryUrl: 'http://127.0.0.1:9/auth/realms/esante-wallet/.well-known/wallet-openid-configuration', clientId: 'x', clientSecret: 'y', redirectUri: 'http://127.0.0.1:9/cb' },
    });
    try {
      const res = await fetch(`${down.url}/api/psc/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TENANT, workstationId: 'w' }) });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Pro Santé Connect injoignable .+ Connectez-vous par mot de passe si le centre le permet\.$/);
      const password = await fetch(`${down.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TENANT, login: 'dr1', password: 'dr1-password', workstationId: 'w' }) });
      expect(password.status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('Pro Santé Connect from a workstation', () => {
  it('the PSC page of a login under way is known to the core (the desktop shell opens it in the system browser), no other page, and not once the login is done', async () => {
    const w = await openWorkstation(ts.url, null);
    try {
      const started = await w.core.registry.call('session.pscStart', {});
      if (!started.ok) throw new Error(started.error.message);
      const { flowId, authorizationUrl } = started.value as { flowId: string; authorizationUrl: string };
      expect(w.core.isPscAuthorization(authorizationUrl)).toBe(true);
      expect(w.core.isPscAuthorization(`${authorizationUrl}&prompt=none`)).toBe(false);
      expect(w.core.isPscAuthorization(new URL(authorizationUrl).origin)).toBe(false);
      await fetch(await throughLocalPsc(authorizationUrl, '810003461033', callback));
      const done = await w.core.registry.call('session.pscFinish', { flowId });
      expect(done).toMatchObject({ ok: true, value: { status: 'done' } });
      expect(w.core.isPscAuthorization(authorizationUrl)).toBe(false);
    } finally {
      await w.close();
    }
  });
});
