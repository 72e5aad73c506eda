/** Tenancy, tokens and bad input at the server's boundary: each gets a clear error, and the server goes on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { WebSocket } from 'ws';
import { TokenService } from '../../../src-server/services/auth.js';
import { OTHER_TENANT, startTestServer, TENANT, TOKEN_SECRET, type TestServer } from '../../fixtures/sync-harness.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer('postgres', { bodyLimit: 64 * 1024 });
});
afterAll(() => ts.close());

const post = (path: string, body: unknown, token?: string, raw?: string) =>
  fetch(`${ts.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
const get = (path: string, token?: string) => fetch(`${ts.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
async function tokenOf(login: string, tenant = TENANT): Promise<string> {
  const res = await post('/api/login', { tenant, login, password: `${login}-password`, workstationId: 'ws-test' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}
const openMutation = (id = uuidv7()) => ({ id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('authentication and tenancy', () => {
  it('refuses wrong credentials and unknown users with the same clear message', async () => {
    for (const body of [
      { tenant: TENANT, login: 'arm1', password: 'nope', workstationId: 'w' },
      { tenant: TENANT, login: 'ghost', password: 'whatever', workstationId: 'w' },
      { tenant: 'nowhere', login: 'arm1', password: 'arm1-password', workstationId: 'w' },
    ]) {
      const res = await post('/api/login', body);
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toEqual({ code: 'unauthenticated', message: 'Identifiant ou mot de passe incorrect.' });
    }
  });

  it('requires a token on every request and socket', async () => {
    expect((await post('/api/sync/push', { mutations: [openMutation()] })).status).toBe(401);
    expect((await get('/api/sync/pull?after=0')).status).toBe(401);
    // The socket is refused at the upgrade, before any frame.
    const ws = new WebSocket(`${ts.url.replace('http', 'ws')}/api/ws`);
    const refused = await new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
    expect(refused).toBe(401);
  });

  it('refuses an expired (replayed old) token and a tampered one', async () => {
    const old = await new TokenService(TOKEN_SECRET, 60, () => Date.now() - 3_600_000).issue('workstation', {
      userId: 'cote-dor:arm1', tenant: TENANT, role: 'arm', displayName: 'ARM 1', workstationId: 'w', sessionId: '00000000-0000-4000-8000-000000000000',
    });
    const expired = await get('/api/sync/pull?after=0', old.token);
    expect(expired.status).toBe(401);
    expect((await errorOf(expired)).code).toBe('token_expired');
    const forged = await new TokenService('another-secret'.padEnd(40, 'y'), 600).issue('workstation', {
      userId: 'cote-dor:admin1', tenant: TENANT, role: 'admin', displayName: 'X', workstationId: 'w', sessionId: '00000000-0000-4000-8000-000000000000',
    });
    expect((await errorOf(await get('/api/sync/pull?after=0', forged.token))).code).toBe('unauthenticated');
  });

  it('scopes everything to the token’s center: another center cannot read or change these cases', async () => {
    const armToken = await tokenOf('arm1');
    const m = openMutation();
    expect(((await (await post('/api/sync/push', { mutations: [m] }, armToken)).json()) as { verdicts: { status: string }[] }).verdicts[0]!.status).toBe('accepted');
    const jura = await tokenOf('jarm1', OTHER_TENANT);
    const pulled = (await (await get('/api/sync/pull?after=0', jura)).json()) as { events: { caseId: string }[] };
    expect(pulled.events.map((e) => e.caseId)).not.toContain(m.caseId);
    expect((await get(`/api/cases/${m.caseId}/events`, jura)).status).toBe(404);
    // A mutation aimed at the other center's case: not found in this center, nothing changed there.
    const note = { id: uuidv7(), caseId: m.caseId, command: { type: 'add_note', text: 'intrusion' }, clientTime: Date.now(), localSeq: 1 };
    const v = ((await (await post('/api/sync/push', { mutations: [note] }, jura)).json()) as { verdicts: { status: string; error: { code: string } }[] }).verdicts[0]!;
    expect(v).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
    const { rows } = await ts.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE case_id = $1`, [m.caseId]);
    expect(rows[0]!.n).toBe(1);
  });

  it('checks roles on the server: an ARM cannot take a case, only an admin creates users', async () => {
    const armToken = await tokenOf('arm1');
    const m = openMutation();
    const take = { id: uuidv7(), caseId: m.caseId, command: { type: 'take' }, clientTime: Date.now(), localSeq: 2 };
    const res = (await (await post('/api/sync/push', { mutations: [m, take] }, armToken)).json()) as { verdicts: { status: string; error?: { code: string } }[] };
    expect(res.verdicts[1]).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } });
    const denied = await post('/api/admin/users', { login: 'x', displayName: 'Xavier', role: 'arm', password: 'long-enough' }, armToken);
    expect(denied.status).toBe(403);
    const admin = await tokenOf('admin1');
    const created = await post('/api/admin/users', { login: 'newarm', displayName: 'Nouvel ARM', role: 'arm', password: 'newarm-password' }, admin);
    expect(created.status).toBe(200);
    expect((await post('/api/login', { tenant: TENANT, login: 'newarm', password: 'newarm-password', workstationId: 'w' })).status).toBe(200);
  });
});

describe('bad input', () => {
  let token: string;
  beforeAll(async () => {
    token = await tokenOf('arm2');
  });

  it('malformed JSON, unknown fields, wrong types, too many mutations: 400 with a clear message', async () => {
    const malformed = await post('/api/sync/push', null, token, '{"mutations": [');
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe('invalid_input');
    const unknown = await post('/api/sync/push', { mutations: [{ ...openMutation(), sneaky: 1 }] }, token);
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toMatch(/mutations\.0/);
    const wrongType = await post('/api/sync/push', { mutations: [{ ...openMutation(), localSeq: 'one' }] }, token);
    expect(wrongType.status).toBe(400);
    const badCommand = await post('/api/sync/push', { mutations: [{ ...openMutation(), command: { type: 'delete_everything' } }] }, token);
    expect(badCommand.status).toBe(400);
    const tooMany = await post('/api/sync/push', { mutations: Array.from({ length: 201 }, () => openMutation()) }, token);
    expect(tooMany.status).toBe(400);
    expect((await get('/api/sync/pull?after=-1', token)).status).toBe(400);
    expect((await get('/api/sync/pull?after=0&limit=999999', token)).status).toBe(400);
    expect((await get('/api/cases/not-a-uuid/events', token)).status).toBe(400);
  });

  it('a callback’s outcome with a malformed body: 400 naming the field, and nothing changes', async () => {
    const arm = await tokenOf('arm1');
    const id = uuidv7();
    const cases = async () => Number((await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM callbacks WHERE tenant = $1', [TENANT])).rows[0]!.n);
    const before = await cases();
    const broken = await post(`/api/callbacks/${id}/result`, null, arm, '{"reached": tr');
    expect(broken.status).toBe(400);
    const wrongType = await post(`/api/callbacks/${id}/result`, { callId: null, reached: 'oui', caseId: null }, arm);
    expect(wrongType.status).toBe(400);
    expect((await errorOf(wrongType)).message).toContain('reached');
    const extra = await post(`/api/callbacks/${id}/result`, { callId: null, reached: true, caseId: null, closeAll: true }, arm);
    expect(extra.status).toBe(400);
    expect((await post('/api/callbacks/not-a-uuid/result', { callId: null, reached: true, caseId: null }, arm)).status).toBe(400);
    // Well formed, on a server without lines: said plainly.
    const none = await post(`/api/callbacks/${id}/result`, { callId: null, reached: true, caseId: null }, arm);
    expect(none.status).toBe(404);
    expect(await cases()).toBe(before);
  });

  it('an oversized payload gets 413 and nothing is written', async () => {
    const before = (await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
    const big = { mutations: [{ ...openMutation(), command: { type: 'open', line: '116117', fields: { reasonText: 'x'.repeat(100_000) } } }] };
    const res = await post('/api/sync/push', big, token);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('too_large');
    expect((await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n).toBe(before);
  });

  it('a field longer than the schema allows is refused by name, and the server goes on', async () => {
    const res = await post('/api/sync/push', { mutations: [{ ...openMutation(), command: { type: 'open', line: '116117', fields: { reasonText: 'y'.repeat(600) } } }] }, token);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/reasonText/);
    const ok = await post('/api/sync/push', { mutations: [openMutation()] }, token);
    expect(ok.status).toBe(200);
  });

  it('the event log cannot be rewritten, even with direct database access', async () => {
    await expect(ts.db.query(`UPDATE events SET payload = '{}'`)).rejects.toThrow(/append-only/);
    await expect(ts.db.query('DELETE FROM events')).rejects.toThrow(/append-only/);
    await expect(ts.db.query('TRUNCATE events')).rejects.toThrow(/append-only/);
  });
});
