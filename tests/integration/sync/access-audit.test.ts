/**
 * The access audit against a real server and PostgreSQL: reads made on a workstation (offline
 * ones later, once), searches that showed patients, a user's accesses as CSV, the admin's
 * break-the-glass read with its reason, an audit nobody can change; and the token keys: one per
 * center and kind, rotated without logging everybody out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { hkdfSync, randomUUID } from 'node:crypto';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { TokenService } from '../../../src-server/services/auth.js';
import { call, rawLogin, restartableServer, startTestServer, TENANT, TOKEN_SECRET, waitFor, type TestServer } from '../../fixtures/sync-harness.js';
import { openWorkstation } from '../../fixtures/workstation.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer('postgres');
});
afterAll(() => ts.close());

const get = (path: string, token: string) => fetch(`${ts.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
const post = (path: string, token: string, body: unknown) =>
  fetch(`${ts.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('reads of patient data', () => {
  it('a case opened and a search on a workstation reach the audit with who, where and what', async () => {
    const w = await openWorkstation(ts.url, { login: 'dr7' });
    try {
      const c = await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: { patient: { lastName: 'Lemaire', firstName: 'Anne' } } });
      await call(w.core, 'audit.recordRead', { caseId: c.id, action: 'case.open' });
      const found = await call<unknown[]>(w.core, 'case.search', { name: 'lemai' });
      expect(found).toHaveLength(1);
      await waitFor('reads sent', async () => (await ts.db.query("SELECT 1 FROM access_audit WHERE user_id = 'cote-dor:dr7' AND action IN ('case.open', 'case.search')")).rows.length >= 2);
      const { rows } = await ts.db.query<{ action: string; case_id: string | null; workstation: string; role: string; detail: string | null; address: string }>(
        "SELECT action, case_id, workstation, role, detail, address FROM access_audit WHERE user_id = 'cote-dor:dr7' AND action IN ('case.open', 'case.search') ORDER BY at, id",
      );
      expect(rows.map((r) => [r.action, r.case_id])).toEqual([
        ['case.open', c.id],
        ['case.search', null],
      ]);
      expect(rows[0]).toMatchObject({ workstation: w.core.workstationId, role: 'physician', address: '127.0.0.1' });
      expect(rows[1]!.detail).toBe('nom « lemai » : 1 dossier(s)');
      // The supervisor's list for this case, and the user's accesses as CSV.
      const sup = await rawLogin(ts.url, 'sup1');
      const list = (await (await get(`/api/audit/cases/${c.id}`, sup)).json()) as { entries: { displayName: string; action: string }[] };
      expect(list.entries.map((e) => [e.displayName, e.action])).toContainEqual(['DR 7', 'case.open']);
      // The center's day (Paris): between 23:00 and midnight UTC it is already tomorrow there.
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
      const csv = await get(`/api/audit/users/dr7/accesses.csv?from=${day}&to=${day}`, sup);
      expect(csv.status).toBe(200);
      const text = await csv.text();
      expect(text).toContain('Date et heure;Utilisateur;Rôle;Organisation;Poste;Adresse;Action;Dossier;Détail;Motif');
      expect(text).toContain(`DR 7;physician;;${w.core.workstationId};127.0.0.1;Dossier ouvert à l’écran;${c.id}`);
      expect(text).toContain('Recherche de patients');
      // Downloading it is itself traced.
      expect((await ts.db.query("SELECT 1 FROM access_audit WHERE user_id = 'cote-dor:sup1' AND action = 'report.download'")).rows).toHaveLength(1);
    } finally {
      await w.close();
    }
  });

  it('reads made offline are kept on the workstation and reach the audit once the server is back, once', async () => {
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const rs = await restartableServer('pglite', cleanups);
      const w = await openWorkstation(rs.url, { login: 'arm1' });
      cleanups.push(() => w.close());
      const c = await call<RegulationCase>(w.core, 'case.open', { line: '116117' });
      await waitFor('online', () => w.core.syncStatus().connection === 'online');
      await rs.stop();
      await call(w.core, 'audit.recordRead', { caseId: c.id, action: 'case.print' });
      expect(w.core.store.pendingReads(10, 'cote-dor:arm1')).toHaveLength(1);
      await rs.start();
      await waitFor('sent', () => w.core.store.pendingReads(10, 'cote-dor:arm1').length === 0, 20_000);
      const { rows } = await rs.db.query<{ action: string; n: number }>("SELECT action, count(*)::int AS n FROM access_audit WHERE case_id = $1 AND action = 'case.print' GROUP BY action", [c.id]);
      expect(rows).toEqual([{ action: 'case.print', n: 1 }]);
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  }, 60_000);

  it('an admin reads a case only by breaking the glass, with a reason recorded first', async () => {
    const arm = await rawLogin(ts.url, 'arm1');
    const id = randomUUID();
    const push = await post('/api/sync/push', arm, { mutations: [{ id: randomUUID(), caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 }] });
    expect(push.status).toBe(200);
    const admin = await rawLogin(ts.url, 'admin1');
    expect((await get(`/api/cases/${id}/events`, admin)).status).toBe(403);
    const tooShort = await post(`/api/cases/${id}/break-glass`, admin, { reason: 'urgence' });
    expect(tooShort.status).toBe(400);
    expect(((await tooShort.json()) as { error: { message: string } }).error.message).toContain('motif : 10 caractères au moins');
    const read = await post(`/api/cases/${id}/break-glass`, admin, { reason: 'Réquisition judiciaire n° 2026-118' });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(1);
    const { rows } = await ts.db.query<{ action: string; reason: string; role: string }>('SELECT action, reason, role FROM access_audit WHERE case_id = $1', [id]);
    expect(rows).toEqual([{ action: 'case.break_glass', reason: 'Réquisition judiciaire n° 2026-118', role: 'admin' }]);
  });

  it('refuses malformed reads with a clear error and records none of the batch', async () => {
    const arm = await rawLogin(ts.url, 'arm1');
    const before = Number((await ts.db.query<{ n: string }>('SELECT count(*) AS n FROM access_audit')).rows[0]!.n);
    const good = { id: randomUUID(), action: 'case.open', caseId: randomUUID(), at: Date.now(), detail: null };
    for (const body of [{ reads: [] }, { reads: [good, { ...good, id: randomUUID(), action: 'case.delete' }] }, { reads: [{ ...good, id: 'pas-un-uuid' }] }, { reads: [good], extra: 1 }]) {
      const res = await post('/api/audit/reads', arm, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_input');
    }
    expect(Number((await ts.db.query<{ n: string }>('SELECT count(*) AS n FROM access_audit')).rows[0]!.n)).toBe(before);
    expect((await post('/api/audit/reads', arm, { reads: [good] })).status).toBe(200);
  });

  it('nobody changes or deletes an audit record, not even with SQL', async () => {
    await expect(ts.db.query("UPDATE access_audit SET user_id = 'someone-else'")).rejects.toThrow(/append-only/);
    await expect(ts.db.query('DELETE FROM access_audit')).rejects.toThrow(/append-only/);
    await expect(ts.db.query('DELETE FROM account_audit')).rejects.toThrow(/append-only/);
  });
});

describe('token keys', () => {
  it('a rotated key still opens the previous version’s tokens, not older ones', async () => {
    const rotated = await startTestServer('postgres', { tokenKeyVersion: 2 });
    const older = await startTestServer('postgres', { tokenKeyVersion: 3 });
    try {
      // A session of arm2 on the rotated server, and a token of it signed with the previous key version.
      const session = await rotated.server.sessions.open({ tenant: TENANT, principal: 'cote-dor:arm2', kind: 'workstation', workstation: 'w', address: null, method: 'password' });
      const v1 = await new TokenService(TOKEN_SECRET, 600, Date.now, 1).issue('workstation', { userId: 'cote-dor:arm2', tenant: TENANT, role: 'arm', displayName: 'ARM 2', workstationId: 'w', sessionId: session.id });
      expect((await fetch(`${rotated.url}/api/agents`, { headers: { authorization: `Bearer ${v1.token}` } })).status).toBe(200);
      expect((await fetch(`${older.url}/api/agents`, { headers: { authorization: `Bearer ${v1.token}` } })).status).toBe(401);
      // A refresh on the rotated server signs with the new version.
      const refreshed = (await (await fetch(`${rotated.url}/api/token/refresh`, { method: 'POST', headers: { authorization: `Bearer ${v1.token}` } })).json()) as { token: string };
      expect(JSON.parse(Buffer.from(refreshed.token.split('.')[0]!, 'base64url').toString()).kid).toBe('workstation.2');
    } finally {
      await rotated.close();
      await older.close();
    }
  });

  it('a token signed for one center does not open another, even with the right secret behind it', async () => {
    const arm = await rawLogin(ts.url, 'arm1');
    const payload = JSON.parse(Buffer.from(arm.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    // The same claims moved to the other center, signed with this center's key: refused.
    const key = new Uint8Array(hkdfSync('sha256', Buffer.from(TOKEN_SECRET), 'permanence-token-keys', `${TENANT}/workstation/v1`, 32));
    const forged = await new SignJWT({ ...payload, ten: 'jura' }).setProtectedHeader({ alg: 'HS256', kid: 'workstation.1' }).sign(key);
    expect((await get('/api/agents', forged)).status).toBe(401);
    // A workstation token presented as an effector's (its kind says which key): refused.
    expect((await get('/api/effector/state', arm)).status).toBe(403);
  });
});
