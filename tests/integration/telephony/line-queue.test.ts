/**
 * The 116117 line end to end on loopback: the project's Kamailio parks the calls (the caller hears
 * the announcement as early media played by rtpengine), the central server's distributor hands
 * them to the ARMs over evapi, scripted patients call through the operator's trunk account and the
 * ARMs' phones are scripted sip.js phones registered under their SIP accounts; their states are
 * published by real workstation cores.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { correlation, readWav16 } from '../../fixtures/audio.js';
import { ScriptedPhone, type ScriptedCall } from '../../fixtures/patient-caller.js';
import { call, freshDatabase, openWorkstation, SIP_WS_URL, TENANT, TOKEN_SECRET, waitFor, type Workstation } from '../../fixtures/sync-harness.js';
import { startServer, type RegulationServer } from '../../../src-server/server.js';
import type { LineSettings } from '../../../src-shared/domain/line-queue.js';
import type { AgentPresence } from '../../../src-shared/sync-protocol/messages.js';
import type { LinesState } from '../../../src-shared/contract/methods.js';
import type { SqlDatabase } from '../../../src-server/db/sql.js';

const ANNOUNCEMENT = join(process.cwd(), 'resources/line-audio/116117-attente.wav');
const LINE: LineSettings = {
  number: '116117',
  tenant: TENANT,
  label: '116117',
  roles: ['arm'],
  priority: 0,
  ringSeconds: 3,
  overflowAfterSeconds: null,
  overflowTo: null,
  announcement: ANNOUNCEMENT,
  callbackCallerId: '0380000000',
};
const TELEPHONY = { evapi: { host: '127.0.0.1', port: 8448 }, lines: [LINE], maxWaitSeconds: 120 };

const { track } = closeAfterEach();

interface Center {
  db: SqlDatabase;
  server: RegulationServer;
  drop(): Promise<void>;
}

async function center(): Promise<Center> {
  const { db, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1_000, telephony: TELEPHONY });
  const c = { db, server, drop };
  track({ close: async () => {
    await c.server.close();
    await db.close();
    await drop();
  } });
  await waitFor('the distributor linked to Kamailio', async () => (await linesOf(c.server)).connected);
  return c;
}

async function linesOf(server: RegulationServer) {
  const res = await server.app.inject({ method: 'GET', url: '/api/lines/status', headers: { authorization: `Bearer ${await token(server, 'sup1')}` } });
  return res.json() as LinesState['status'];
}

const tokens = new Map<string, string>();
async function token(server: RegulationServer, who: string): Promise<string> {
  const key = `${server.url}|${who}`;
  if (!tokens.has(key)) {
    const res = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: TENANT, login: who, password: `${who}-password`, workstationId: `raw-${who}` }),
    });
    tokens.set(key, ((await res.json()) as { token: string }).token);
  }
  return tokens.get(key)!;
}

/** An ARM at a desk: the workstation (its state) and the phone registered under its SIP account. */
async function arm(server: RegulationServer, login: 'arm1' | 'arm2', answerAfterMs = 300): Promise<{ ws: Workstation; phone: ScriptedPhone }> {
  const ws = track(await openWorkstation(server.url, { login }));
  const phone = await ScriptedPhone.registered(SIP_WS_URL, login, `${login}pass`, '127.0.0.1', answerAfterMs);
  track({ close: () => phone.stop() });
  await waitFor('online', () => ws.core.syncStatus().connection === 'online');
  return { ws, phone };
}

const free = (a: { ws: Workstation }) => call(a.ws.core, 'agent.setState', { state: 'available', reason: null });
/** What the workstation's phone does when it answers, then after the wrap-up. */
const busy = (a: { ws: Workstation }) => call(a.ws.core, 'agent.setState', { state: 'busy', reason: null });

let trunk: ScriptedPhone;
beforeAll(async () => {
  trunk = await ScriptedPhone.trunk(SIP_WS_URL);
});
afterAll(async () => {
  await trunk.stop();
});

const patient = (n: number) => `06${String(20_000_000 + n).padStart(8, '0')}`;

describe('the 116117 line: queue, announcement, distribution', () => {
  it('three callers, two free ARMs: two answered in order of arrival by the one free the longest first; the third hears the announcement, then gets the first ARM free again', async () => {
    const { server } = await center();
    const a1 = await arm(server, 'arm1');
    const a2 = await arm(server, 'arm2');
    await free(a1);
    await new Promise((r) => setTimeout(r, 50));
    await free(a2);

    const calls: ScriptedCall[] = [];
    for (let i = 1; i <= 3; i++) {
      calls.push(await trunk.call({ from: patient(i), to: '116117' }));
      await new Promise((r) => setTimeout(r, 150));
    }
    await Promise.all([calls[0]!.answered, calls[1]!.answered]);
    expect(a1.phone.answered.filter((c) => c.accepted).map((c) => c.from)).toEqual([patient(1)]);
    expect(a2.phone.answered.filter((c) => c.accepted).map((c) => c.from)).toEqual([patient(2)]);
    await busy(a1);
    await busy(a2);

    // The third waits: the wall screen's figures come from the queue.
    await waitFor('one call waiting', async () => (await linesOf(server)).lines[0]!.waiting === 1);
    await new Promise((r) => setTimeout(r, 3_500));
    const heard = calls[2]!.heard();
    expect(heard.length).toBeGreaterThan(3 * 8000);
    const match = correlation(heard, readWav16(ANNOUNCEMENT).samples);
    expect(match.r, `the caller heard the line's message (correlation ${match.r.toFixed(3)} at ${match.lagMs} ms)`).toBeGreaterThan(0.9);

    // Both ways of the conversations go through.
    expect(calls[0]!.rtp().received).toBeGreaterThan(0);
    expect(a1.phone.answered[0]!.media.received).toBeGreaterThan(0);

    // ARM 1 hangs up, wraps up and is free again: the waiting caller goes to them.
    await a1.phone.answered[0]!.hangUp();
    await free(a1);
    await calls[2]!.answered;
    expect(a1.phone.answered.filter((c) => c.accepted).map((c) => c.from)).toEqual([patient(1), patient(3)]);
    expect((await linesOf(server)).lines[0]!.waiting).toBe(0);
    for (const c of calls) await c.hangUp();
  });

  it('an ARM who lets the offer ring out goes "Absent" with the reason; the call goes to the other ARM', async () => {
    const { server } = await center();
    const a1 = await arm(server, 'arm1', 60_000);
    const a2 = await arm(server, 'arm2');
    const states: AgentPresence[][] = [];
    a1.ws.core.subscribe((event, payload) => {
      if (event === 'agents.changed') states.push((payload as { agents: AgentPresence[] }).agents);
    });
    await free(a1);
    await new Promise((r) => setTimeout(r, 50));
    await free(a2);
    const c = await trunk.call({ from: patient(10), to: '116117' });
    await c.answered;
    expect(a1.phone.offered).toBe(1);
    expect(a1.phone.answered[0]!.accepted).toBe(false);
    expect(a2.phone.answered.filter((x) => x.accepted).map((x) => x.from)).toEqual([patient(10)]);
    await waitFor('ARM 1 shown absent', () =>
      states.some((list) => list.some((a) => a.userId === `${TENANT}:arm1` && a.state === 'pause' && a.reason === 'unanswered')),
    );
    await c.hangUp();
  });

  it('a caller who hangs up while waiting is on the callback list (twice: one entry); an ARM calls back, a colleague cannot take it too, and it leaves the list', async () => {
    const { server } = await center();
    const a1 = await arm(server, 'arm1');
    const a2 = await arm(server, 'arm2');
    const pushed: LinesState[] = [];
    a2.ws.core.subscribe((event, payload) => {
      if (event === 'lines.changed') pushed.push(payload as LinesState);
    });
    // Nobody free: the caller waits, then gives up; and again a minute later.
    for (let i = 0; i < 2; i++) {
      const c = await trunk.call({ from: patient(20), to: '116117' });
      await waitFor('waiting', async () => (await linesOf(server)).lines[0]!.waiting === 1);
      await new Promise((r) => setTimeout(r, 400));
      await c.hangUp();
      await waitFor('abandon recorded', async () => (await linesOf(server)).lines[0]!.waiting === 0);
    }
    await waitFor('on the list', () => pushed.at(-1)?.callbacks.length === 1 && pushed.at(-1)!.callbacks[0]!.abandons === 2);
    const state = await call<LinesState>(a1.ws.core, 'lines.state', {});
    expect(state.status).toMatchObject({ enabled: true, connected: true, callbacksOpen: 1, receivedToday: 2, abandonedToday: 2 });
    const entry = state.callbacks[0]!;
    expect(entry).toMatchObject({ number: patient(20), line: '116117', abandons: 2, state: 'open', callerId: '0380000000' });
    expect(entry.longestWaitMs).toBeGreaterThan(300);

    expect(await call(a1.ws.core, 'callbacks.claim', { id: entry.id })).toEqual({ number: patient(20), callerId: '0380000000' });
    const second = await a2.ws.core.registry.call('callbacks.claim', { id: entry.id });
    expect(!second.ok && second.error).toMatchObject({ code: 'conflict', message: 'ARM 1 rappelle déjà ce numéro.' });
    await waitFor('taken on the colleague’s list', () => pushed.at(-1)?.callbacks[0]?.state === 'calling');
    await call(a1.ws.core, 'callbacks.finish', { id: entry.id, result: { callId: 'callback-call-1', reached: true, caseId: null } });
    await waitFor('gone from the colleague’s list', () => pushed.at(-1)?.callbacks.length === 0);
    expect((await linesOf(server)).callbacksOpen).toBe(0);
  });

  it('the queue survives a restart of the server: the waiting call is handed out by the new process', async () => {
    const first = await center();
    const c = await trunk.call({ from: patient(30), to: '116117' });
    await waitFor('waiting', async () => (await linesOf(first.server)).lines[0]!.waiting === 1);
    await first.server.close();
    first.server = await startServer({ db: first.db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1_000, telephony: TELEPHONY });
    await waitFor('linked again', async () => (await linesOf(first.server)).connected);
    expect((await linesOf(first.server)).lines[0]!.waiting).toBe(1);
    const a1 = await arm(first.server, 'arm1');
    await free(a1);
    await c.answered;
    expect(a1.phone.answered.filter((x) => x.accepted).map((x) => x.from)).toEqual([patient(30)]);
    await c.hangUp();
  });
});
