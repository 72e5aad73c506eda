/**
 * A supervisor watches the center: the sync stream gives him the queue's shape without who the
 * patients are (snapshot, pull, live events, calls), while an ARM gets the whole cases; he reads a
 * whole case on demand from the server, which records that read, and his workstation keeps it in
 * memory only (issue 18: "a supervisor's wall screen needs counts, not identities").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { WITHHELD } from '../../../src-shared/domain/redaction.js';
import { decodeSnapshotPage } from '../../../src-shared/sync-protocol/snapshot-page.js';
import { call, rawLogin, startTestServer, waitFor, type TestServer } from '../../fixtures/sync-harness.js';
import { openWorkstation, type Workstation } from '../../fixtures/workstation.js';

const IDENTITY = ['Lebrun', 'Odette', '1941-07-14', '0387654321', '87 65 43 21', '7 rue du Bourg', 'code 4711', 'sous anticoagulants'];

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer('postgres');
});
afterAll(() => ts.close());

const get = async (path: string, token: string) => {
  const r = await fetch(`${ts.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(r.status, path).toBe(200);
  return r.text();
};
const socketOf = async (token: string) => {
  const frames: string[] = [];
  const ws = new WebSocket(`${ts.url.replace('http', 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
  ws.on('message', (d) => frames.push(d.toString()));
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  return { ws, frames };
};

const eventsFrame = (s: { frames: string[] }) => s.frames.filter((f) => f.includes('"type":"events"')).join('\n');
const callsFrame = (s: { frames: string[] }) => s.frames.filter((f) => f.includes('"type":"calls"') && f.includes('ring-1')).join('\n');

describe('the supervisor’s stream', () => {
  it('snapshot, pull and live events without identities for the supervisor, whole for the ARM; the whole case on demand, audited', async () => {
    const arm = await rawLogin(ts.url, 'arm1');
    const sup = await rawLogin(ts.url, 'sup1');
    const armSocket = await socketOf(arm);
    const supSocket = await socketOf(sup);
    const caseId = randomUUID();
    const push = await fetch(`${ts.url}/api/sync/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${arm}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        mutations: [
          {
            id: randomUUID(),
            caseId,
            command: {
              type: 'open',
              line: '116117',
              fields: {
                callbackPhone: '03 87 65 43 21',
                patient: { lastName: 'Lebrun', firstName: 'Odette', birthDate: '1941-07-14', sex: 'F' },
                location: { inseeCode: '21231', communeName: 'Dijon', postalCode: '21000', address: '7 rue du Bourg', accessNotes: 'code 4711' },
                reasonCode: 'FEVER',
                priority: 'P2',
              },
            },
            clientTime: Date.now(),
            localSeq: 1,
          },
          { id: randomUUID(), caseId, command: { type: 'add_note', text: 'sous anticoagulants' }, clientTime: Date.now(), localSeq: 2 },
        ],
      }),
    });
    expect(((await push.json()) as { verdicts: { status: string }[] }).verdicts.map((v) => v.status)).toEqual(['accepted', 'accepted']);

    // Live: the ARM's socket gets the whole events, the supervisor's the same events redacted.
    await waitFor('both sockets got the events', () => [armSocket, supSocket].every((s) => s.frames.some((f) => f.includes('"type":"events"') && f.includes(caseId))));
    for (const datum of ['Lebrun', '7 rue du Bourg', 'sous anticoagulants']) expect(eventsFrame(armSocket)).toContain(datum);
    for (const datum of IDENTITY) expect(eventsFrame(supSocket), datum).not.toContain(datum);
    expect(eventsFrame(supSocket)).toContain(WITHHELD);
    expect(eventsFrame(supSocket)).toContain('"communeName":"Dijon"');

    // Snapshot and pull: the same rule.
    const [armSnapshot, supSnapshot, armPull, supPull] = await Promise.all([get('/api/sync/snapshot', arm), get('/api/sync/snapshot', sup), get('/api/sync/pull?after=0', arm), get('/api/sync/pull?after=0', sup)]);
    for (const body of [armSnapshot, armPull]) expect(body).toContain('Lebrun');
    for (const body of [supSnapshot, supPull]) for (const datum of IDENTITY) expect(body, datum).not.toContain(datum);
    const supCase = [...decodeSnapshotPage(supSnapshot).cases].find((c) => c.data.id === caseId)!.data;
    expect(supCase).toMatchObject({ status: 'new_call', fields: { priority: 'P2', reasonCode: 'FEVER', patient: { sex: 'F' }, location: { communeName: 'Dijon' } } });

    // On demand: the whole log, and the read on the record with who made it.
    const before = (await ts.db.query("SELECT 1 FROM access_audit WHERE user_id = 'cote-dor:sup1' AND action = 'case.history' AND case_id = $1", [caseId])).rows.length;
    expect(await get(`/api/cases/${caseId}/events`, sup)).toContain('Lebrun');
    const after = (await ts.db.query("SELECT 1 FROM access_audit WHERE user_id = 'cote-dor:sup1' AND action = 'case.history' AND case_id = $1", [caseId])).rows.length;
    expect(after).toBe(before + 1);

    // A call ringing at the ARM's: its number to the ARM, not to the supervisor (live frame and REST).
    const ringing = await fetch(`${ts.url}/api/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${arm}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [{ id: randomUUID(), callId: 'ring-1', direction: 'in', line: '116117', remote: '0387654321', state: 'ringing', arrivedAt: Date.now(), answeredAt: null, endedAt: null, endReason: null }] }),
    });
    expect(ringing.status).toBe(200);
    await waitFor('both sockets got the call', () => callsFrame(armSocket) !== '' && callsFrame(supSocket) !== '');
    expect(callsFrame(armSocket)).toContain('0387654321');
    expect(callsFrame(supSocket)).not.toContain('0387654321');
    expect(await get('/api/calls/live', arm)).toContain('0387654321');
    const supLive = await get('/api/calls/live', sup);
    expect(supLive).toContain('ring-1');
    expect(supLive).not.toContain('0387654321');
    for (const s of [armSocket, supSocket]) s.ws.close();
  });

  it('a supervisor’s workstation keeps the cases redacted and shows a whole case read from the server', async () => {
    let arm: Workstation | undefined;
    let sup: Workstation | undefined;
    try {
      arm = await openWorkstation(ts.url, { login: 'arm2' });
      sup = await openWorkstation(ts.url, { login: 'sup1' });
      const opened = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: { callbackPhone: '06 44 55 66 77', patient: { lastName: 'Perrin', firstName: 'Marcel', ageYears: 80 }, priority: 'P3' } });
      await call(arm.core, 'case.command', { caseId: opened.id, command: { type: 'add_note', text: 'vit seul, chute ce soir' } });
      const stored = () => sup!.core.store.getCase(opened.id);
      await waitFor('the supervisor’s workstation has the case', () => stored()?.notes.length === 1, 10_000);
      expect(JSON.stringify(stored())).not.toMatch(/Perrin|Marcel|06 44 55 66 77|chute/);
      expect(stored()!.fields).toMatchObject({ priority: 'P3', patient: { ageYears: 80 } });
      // Opened: the whole case and its timeline, from the server.
      const whole = await call<RegulationCase>(sup.core, 'case.get', { caseId: opened.id });
      expect(whole.fields.patient).toMatchObject({ lastName: 'Perrin', firstName: 'Marcel' });
      expect(whole.notes.map((n) => n.text)).toEqual(['vit seul, chute ce soir']);
      const history = await call<{ kind: string; syncStatus: string }[]>(sup.core, 'case.history', { caseId: opened.id });
      expect(history.map((e) => [e.kind, e.syncStatus])).toEqual([
        ['case.opened', 'accepted'],
        ['case.note_added', 'accepted'],
      ]);
      // Still nothing of it kept on his workstation.
      expect(JSON.stringify(stored())).not.toMatch(/Perrin|chute/);
      expect(JSON.stringify(sup.core.store.history(opened.id))).not.toMatch(/Perrin|chute/);
      // The ARM's workstation has the whole case, as before.
      expect(arm.core.store.getCase(opened.id)!.fields.patient?.lastName).toBe('Perrin');
      expect((await ts.db.query("SELECT 1 FROM access_audit WHERE user_id = 'cote-dor:sup1' AND action = 'case.history' AND case_id = $1", [opened.id])).rows.length).toBeGreaterThanOrEqual(2);
    } finally {
      await sup?.close();
      await arm?.close();
    }
  });
});
