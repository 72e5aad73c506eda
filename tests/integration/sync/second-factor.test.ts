/**
 * The second factor of password logins (TOTP), against a real server and PostgreSQL: a user enrols
 * (a secret, confirmed by a first code), then logs in with password and code; a wrong code, a code
 * used twice and a missing code are refused; the admin resets it; a center that requires it gives a
 * password-only login a session that may only enrol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { rawLogin, startTestServer, TENANT, type TestServer } from '../../fixtures/sync-harness.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer('postgres');
});
afterAll(() => ts.close());

const request = (method: string, path: string, token?: string, body?: unknown) =>
  fetch(`${ts.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const login = (who: string, totp?: string) =>
  request('POST', '/api/login', undefined, { tenant: TENANT, login: who, password: `${who}-password`, workstationId: 'w-2fa', ...(totp ? { totp } : {}) });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
/** The code an authenticator app shows at `at` (ms), `steps` periods later. */
const codeAt = (secret: string, at = Date.now()) => generate({ secret, epoch: Math.floor(at / 1000) });

describe('the second factor', () => {
  it('enrolled by the user, then asked at every password login; wrong, missing and reused codes refused', async () => {
    const token = await rawLogin(ts.url, 'dr8');
    const enrol = (await (await request('POST', '/api/me/second-factor/enrol', token, {})).json()) as { secret: string; uri: string };
    expect(enrol.uri).toMatch(/^otpauth:\/\/totp\/.+secret=/);
    expect((await request('POST', '/api/me/second-factor/confirm', token, { code: '000000' })).status).toBe(400);
    // The first code is taken 30 s back, so that the login's code (now) is a newer one.
    expect((await request('POST', '/api/me/second-factor/confirm', token, { code: await codeAt(enrol.secret, Date.now() - 30_000) })).status).toBe(200);
    // Stored sealed: the secret is not in the database in clear.
    const { rows } = await ts.db.query<{ totp_secret: string }>("SELECT totp_secret FROM users WHERE id = 'cote-dor:dr8'");
    expect(rows[0]!.totp_secret).not.toContain(enrol.secret);

    const missing = await login('dr8');
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toEqual({ code: 'second_factor_required', message: 'Code de l’application d’authentification requis.' });
    expect((await login('dr8', '123456')).status).toBe(401);
    const code = await codeAt(enrol.secret);
    const ok = await login('dr8', code);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { secondFactor: string }).secondFactor).toBe('checked');
    const again = await login('dr8', code);
    expect(again.status).toBe(401);
    expect((await errorOf(again)).message).toBe('Code incorrect ou déjà utilisé : attendez le suivant.');

    // The admin resets it (a lost phone): the password alone opens again, and the old sessions end.
    const admin = await rawLogin(ts.url, 'admin1');
    expect((await request('PUT', '/api/admin/users/dr8', admin, { resetSecondFactor: true })).status).toBe(200);
    expect((await login('dr8')).status).toBe(200);
  });

  it('a center that requires it: a password-only login may only enrol, then works in full', async () => {
    const admin = await rawLogin(ts.url, 'admin1');
    const settings = { requireSecondFactor: true, idleLockSeconds: { arm: 120, physician: 300, supervisor: 600, admin: 300 } };
    expect((await request('PUT', '/api/settings/security', admin, settings)).status).toBe(200);
    try {
      const res = await login('arm2');
      const body = (await res.json()) as { token: string; secondFactor: string; idleLockSeconds: number };
      expect(body).toMatchObject({ secondFactor: 'enrol', idleLockSeconds: 120 });
      const refused = await request('GET', '/api/sync/pull?after=0', body.token);
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).code).toBe('second_factor_enrolment');
      const enrol = (await (await request('POST', '/api/me/second-factor/enrol', body.token, {})).json()) as { secret: string };
      expect((await request('POST', '/api/me/second-factor/confirm', body.token, { code: await codeAt(enrol.secret) })).status).toBe(200);
      expect((await request('GET', '/api/sync/pull?after=0', body.token)).status).toBe(200);
    } finally {
      await request('PUT', '/api/settings/security', admin, { ...settings, requireSecondFactor: false });
    }
  });
});
