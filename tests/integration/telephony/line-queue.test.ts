/**
 * The 116117 line end to end on loopback: the project's Kamailio parks the calls (the caller hears
 * the announcement as early media played by rtpengine), the central server's distributor hands
 * them to the ARMs over evapi, scripted patients call through the operator's trunk account and the
 * ARMs' phones are scripted sip.js phones registered under their SIP accounts; their states are
 * published by real workstation cores.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { correlation, readWav16, tonePower, wavChannels } from '../../fixtures/audio.js';
import { ScriptedPhone, type ScriptedCall } from '../../fixtures/patient-caller.js';
import { call, freshDatabase, openWorkstation, SIP_WS_URL, TENANT, TOKEN_SECRET, waitFor, type Workstation } from '../../fixtures/sync-harness.js';
import { decryptRecording } from '../../../src-server/telephony/recordings.js';
import { CLOSED_MESSAGE, RTP_SPOOL, testLine, testTelephony, WAITING_MESSAGE } from '../../fixtures/lines.js';
import { startServer, type RegulationServer } from '../../../src-server/server.js';
import type { LineSettings } from '../../../src-shared/domain/line-queue.js';
import type { AgentPresence } from '../../../src-shared/sync-protocol/messages.js';
import type { LinesState } from '../../../src-shared/contract/methods.js';
import type { SqlDatabase } from '../../../src-server/db/sql.js';

const ANNOUNCEMENT = WAITING_MESSAGE;
const LINE = testLine({ ringSeconds: 3, callbackCallerId: '0380000000' });
const SPOOL = RTP_SPOOL;
const RETENTION_DAYS = 30;
/** The center's 116117 and, for its overflow, the physicians' line. */
const telephony = (storeDir: string, key: Buffer, line: LineSettings = LINE) =>
  testTelephony([line, testLine({ number: 'medecins', label: 'Médecins', roles: ['physician'], ringSeconds: 3 })], { storeDir, key, retentionDays: RETENTION_DAYS });

const { track } = closeAfterEach();

interface Center {
  db: SqlDatabase;
  server: RegulationServer;
  storeDir: string;
  key: Buffer;
  /** The server's clock runs this much ahead (the retention test moves it). */
  clock: { offsetMs: number };
  start(): Promise<RegulationServer>;
}

async function center(options: { line?: Partial<LineSettings>; offsetMs?: number; progressSeconds?: number } = {}): Promise<Center> {
  const { db, drop } = await freshDatabase('postgres');
  const storeDir = mkdtempSync(join(tmpdir(), 'permanence-recordings-'));
  const key = randomBytes(32);
  const clock = { offsetMs: options.offsetMs ?? 0 };
  const line = { ...LINE, ...options.line };
  const start = () => startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: process.env.PERMANENCE_TEST_LOG ?? 'silent', heartbeatMs: 1_000, telephony: { ...telephony(storeDir, key, line), ...(options.progressSeconds ? { progressSeconds: options.progressSeconds } : {}) }, now: () => Date.now() + clock.offsetMs });
  const c: Center = { db, server: await start(), storeDir, key, clock, start };
  databases.set(c.server, db);
  track({ close: async () => {
    await c.server.close();
    await db.close();
    await drop();
    rmSync(storeDir, { recursive: true, force: true });
  } });
  await waitFor('the distributor linked to Kamailio', async () => (await linesOf(c.server)).connected);
  return c;
}

const databases = new Map<RegulationServer, SqlDatabase>();
const centerDb = (server: RegulationServer) => databases.get(server)!;

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
/** The SIP accounts of the test center's users (tests/fixtures/sync-harness.ts). */
const SIP_OF = { arm1: 'arm1', arm2: 'arm2', dr1: 'mrl1' } as const;

async function arm(server: RegulationServer, login: keyof typeof SIP_OF, answerAfterMs = 300): Promise<{ ws: Workstation; phone: ScriptedPhone }> {
  const ws = track(await openWorkstation(server.url, { login }));
  const phone = await ScriptedPhone.registered(SIP_WS_URL, SIP_OF[login], `${SIP_OF[login]}pass`, '127.0.0.1', answerAfterMs);
  // The ARM's voice: 1 kHz (the patients send 440 Hz), so the recording's two sides can be told apart.
  phone.toneHz = 1_000;
  track({ close: () => phone.stop() });
  await waitFor('online', () => ws.core.syncStatus().connection === 'online');
  return { ws, phone };
}

const free = (a: { ws: Workstation }) => call(a.ws.core, 'agent.setState', { state: 'available', reason: null });
/** What the workstation's phone does when it answers, then after the wrap-up. */
const busy = (a: { ws: Workstation }) => call(a.ws.core, 'agent.setState', { state: 'busy', reason: null });

/**
 * ARM 1 then ARM 2 free (ARM 1 the longest), their phones answering after the given delays; the
 * agents' states as ARM 1's workstation receives them.
 */
async function twoFreeArms(server: RegulationServer, answer1Ms: number, answer2Ms: number) {
  const a1 = await arm(server, 'arm1', answer1Ms);
  const a2 = await arm(server, 'arm2', answer2Ms);
  const states: AgentPresence[][] = [];
  a1.ws.core.subscribe((event, payload) => {
    if (event === 'agents.changed') states.push((payload as { agents: AgentPresence[] }).agents);
  });
  await free(a1);
  await new Promise((r) => setTimeout(r, 50));
  await free(a2);
  return { a1, a2, states };
}

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
    await new Promise((r) => setTimeout(r, 500));
    for (const c of calls) await c.hangUp();
    // Every conversation recorded, whoever hung up (ARM 1 did the first one).
    await waitFor('three recordings', async () => (await centerDb(server).query("SELECT 1 FROM line_calls WHERE recording = 'stored'")).rows.length === 3, 20_000);
  });

  it('an ARM who lets the offer ring out goes "Absent" with the reason; the call goes to the other ARM', async () => {
    const { server } = await center();
    const { a1, a2, states } = await twoFreeArms(server, 60_000, 300);
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

  it('a ring-all line: every free ARM’s phone rings at once, the first who picks up takes the call (the other phone stops, nobody goes absent); unanswered everywhere, each one goes "Absent"', async () => {
    const { server } = await center({ line: { distribution: 'ring-all' } });
    const { a1, a2, states } = await twoFreeArms(server, 1_500, 300);
    const first = await trunk.call({ from: patient(15), to: '116117' });
    await first.answered;
    // Both rang for the same call; ARM 2 picked up first, ARM 1's phone stopped ringing.
    expect([a1.phone.offered, a2.phone.offered]).toEqual([1, 1]);
    expect(a1.phone.answered[0]!.callId).toBe(a2.phone.answered[0]!.callId);
    expect(a2.phone.answered[0]!.accepted).toBe(true);
    await a1.phone.answered[0]!.ended;
    expect(a1.phone.answered[0]!.accepted).toBe(false);
    // Kamailio tells the server as it relays the answer: booked a moment after the caller hears it.
    await waitFor('booked as answered', async () => (await centerDb(server).query("SELECT 1 FROM line_calls WHERE state <> 'offered'")).rows.length === 1);
    const booked = await centerDb(server).query<{ answered_by: string; state: string }>('SELECT answered_by, state FROM line_calls');
    expect(booked.rows).toEqual([{ answered_by: 'arm2', state: 'answered' }]);
    await waitFor('both voices through', () => first.rtp().received > 0 && a2.phone.answered[0]!.media.received > 0);
    expect(states.flat().some((a) => a.reason === 'unanswered')).toBe(false);
    await first.hangUp();
    await waitFor('its recording stored', async () => (await centerDb(server).query("SELECT 1 FROM line_calls WHERE recording = 'stored'")).rows.length === 1, 20_000);
    await busy(a2);

    // Nobody picks up within the ring time: both phones rang, both ARMs are shown absent.
    a1.phone.answerAfterMs = 60_000;
    await free(a1);
    await busy(a2).then(() => free(a2));
    a2.phone.answerAfterMs = 60_000;
    const second = await trunk.call({ from: patient(16), to: '116117' });
    await waitFor('both ARMs shown absent', () =>
      ['arm1', 'arm2'].every((who) => states.at(-1)?.some((a) => a.userId === `${TENANT}:${who}` && a.state === 'pause' && a.reason === 'unanswered')),
    10_000);
    expect([a1.phone.offered, a2.phone.offered]).toEqual([2, 2]);
    // The call waits again, for whoever comes back first.
    await waitFor('waiting again', async () => (await linesOf(server)).lines[0]!.waiting === 1);
    a1.phone.answerAfterMs = 200;
    await free(a1);
    await second.answered;
    expect(a1.phone.answered.at(-1)!.accepted).toBe(true);
    await second.hangUp();
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
    first.server = await first.start();
    await waitFor('linked again', async () => (await linesOf(first.server)).connected);
    expect((await linesOf(first.server)).lines[0]!.waiting).toBe(1);
    const a1 = await arm(first.server, 'arm1');
    await free(a1);
    await c.answered;
    expect(a1.phone.answered.filter((x) => x.accepted).map((x) => x.from)).toEqual([patient(30)]);
    await c.hangUp();
  });

  it('a conversation is recorded both ways, encrypted, as long as it lasted; a physician plays it back (audited); the retention job purges it and says so', async () => {
    const c = await center();
    const { server } = c;
    const a1 = await arm(server, 'arm1');
    await free(a1);
    const phoned = await trunk.call({ from: patient(40), to: '116117' });
    await phoned.answered;
    const answeredAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    await phoned.hangUp();
    const talkedMs = Date.now() - answeredAt;

    await waitFor('recording stored', async () => (await c.db.query("SELECT 1 FROM recordings WHERE call_id = $1", [phoned.callId])).rows.length === 1, 20_000);
    await waitFor('the spool emptied of this call', () => !readdirSync(join(SPOOL, 'pcaps')).some((f) => f.startsWith(phoned.callId)));
    const { rows } = await c.db.query<{ id: string; file: string; duration_ms: string; sha256: string }>('SELECT id, file, duration_ms, sha256 FROM recordings WHERE call_id = $1', [phoned.callId]);
    const rec = rows[0]!;
    // Encrypted at rest: no Ogg page header anywhere in the file.
    const sealed = readFileSync(join(c.storeDir, rec.file));
    expect(sealed.includes(Buffer.from('OggS'))).toBe(false);
    const ogg = decryptRecording(c.key, sealed);
    const wav = spawnSync('sox', ['-q', '-t', 'ogg', '-', '-t', 'wav', '-b', '16', '-'], { input: ogg, maxBuffer: 64 << 20 });
    expect(wav.status).toBe(0);
    const [callerSide, agentSide] = wavChannels(wav.stdout);
    const seconds = callerSide!.length / 8000;
    expect(Math.abs(seconds * 1000 - talkedMs), `recording ${seconds.toFixed(2)} s for a conversation of ${(talkedMs / 1000).toFixed(2)} s`).toBeLessThan(500);
    expect(Math.abs(Number(rec.duration_ms) - seconds * 1000)).toBeLessThan(50);
    // Both voices, each on its own side.
    expect(tonePower(callerSide!, 440)).toBeGreaterThan(1_000 * tonePower(callerSide!, 1_000));
    expect(tonePower(agentSide!, 1_000)).toBeGreaterThan(1_000 * tonePower(agentSide!, 440));

    // A physician listens to it: the same audio, and the access audit says who and when.
    const res = await server.app.inject({ method: 'GET', url: `/api/recordings/${rec.id}/audio`, headers: { authorization: `Bearer ${await token(server, 'dr1')}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/ogg');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.rawPayload.equals(ogg)).toBe(true);
    const audit = await c.db.query<{ user_id: string; action: string }>("SELECT user_id, action FROM access_audit WHERE action = 'recording.play'");
    expect(audit.rows).toEqual([{ user_id: `${TENANT}:dr1`, action: 'recording.play' }]);
    // An export for a legal request needs a reason, and is a supervisor's.
    const noReason = await server.app.inject({ method: 'POST', url: `/api/recordings/${rec.id}/export`, headers: { authorization: `Bearer ${await token(server, 'sup1')}` }, payload: {} });
    expect(noReason.statusCode).toBe(400);
    const exported = await server.app.inject({ method: 'POST', url: `/api/recordings/${rec.id}/export`, headers: { authorization: `Bearer ${await token(server, 'sup1')}` }, payload: { reason: 'Réquisition 2026-118 du parquet' } });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['x-recording-sha256']).toBe(rec.sha256);
    expect((await c.db.query<{ reason: string }>("SELECT reason FROM access_audit WHERE action = 'recording.export'")).rows).toEqual([{ reason: 'Réquisition 2026-118 du parquet' }]);

    // The retention runs out: the job deletes the file, keeps the row, and writes what it purged.
    c.clock.offsetMs = (RETENTION_DAYS + 1) * 86_400_000;
    expect(await server.lines!.purgeRecordings()).toBe(1);
    expect(readdirSync(c.storeDir)).toEqual([]);
    // (A month later, yesterday's token has expired: the store answers directly.)
    expect(await server.lines!.recordings!.audio(TENANT, rec.id)).toBeNull();
    expect((await c.db.query('SELECT purged_at FROM recordings WHERE id = $1', [rec.id])).rows[0]).toEqual({ purged_at: expect.anything() });
    const purge = await c.db.query<{ actor: string; detail: unknown }>("SELECT actor, detail FROM account_audit WHERE action = 'recording.purge'");
    expect(purge.rows).toEqual([{ actor: 'system', detail: { count: 1, ids: [rec.id] } }]);
  });

  it('a line set not to be recorded (a benchmark’s baseline, never a regulation line) is not: no pcap, no recording; the center’s other line still is', async () => {
    const c = await center({ line: { record: false } });
    const a1 = await arm(c.server, 'arm1');
    const dr = await arm(c.server, 'dr1');
    await free(a1);
    await free(dr);
    const unrecorded = await trunk.call({ from: patient(40), to: '116117' });
    await unrecorded.answered;
    await waitFor('voices through', () => unrecorded.rtp().received > 25);
    await unrecorded.hangUp();
    const recorded = await trunk.call({ from: patient(41), to: 'medecins' });
    await recorded.answered;
    await waitFor('voices through', () => recorded.rtp().received > 25);
    await recorded.hangUp();
    await waitFor('the other line’s call stored', async () => (await c.db.query("SELECT 1 FROM line_calls WHERE call_id = $1 AND recording = 'stored'", [recorded.callId])).rows.length === 1, 20_000);
    expect((await c.db.query('SELECT recording FROM line_calls WHERE call_id = $1', [unrecorded.callId])).rows).toEqual([{ recording: 'none' }]);
    expect((await c.db.query('SELECT 1 FROM recordings WHERE call_id = $1', [unrecorded.callId])).rows).toEqual([]);
    expect(readdirSync(join(SPOOL, 'pcaps')).filter((f) => f.startsWith(unrecorded.callId))).toEqual([]);
  });

  it('outside the line’s hours (PDSA only, a Wednesday at 10:00), the caller hears the closed message and the call ends; nobody is asked to call back', async () => {
    const CLOSED = CLOSED_MESSAGE;
    // Wednesday 9 December 2026, 10:00 in Paris: no PDSA period.
    const c = await center({ line: { hours: 'pdsa', closedAnnouncement: CLOSED }, offsetMs: Date.UTC(2026, 11, 9, 9, 0) - Date.now() });
    const a1 = await arm(c.server, 'arm1');
    await free(a1);
    const started = Date.now();
    const phoned = await trunk.call({ from: patient(50), to: '116117' });
    await expect(phoned.answered).rejects.toThrow(/ended before it was answered/);
    const heardMs = Date.now() - started;
    const message = readWav16(CLOSED).samples;
    expect(heardMs, 'the call lasts the message, then ends').toBeGreaterThan((message.length / 8) * 0.9);
    const match = correlation(phoned.heard(), message);
    expect(match.r, `the caller heard the closed line's message (correlation ${match.r.toFixed(3)})`).toBeGreaterThan(0.9);
    expect(a1.phone.offered).toBe(0);
    expect((await c.db.query('SELECT state FROM line_calls')).rows).toEqual([{ state: 'refused' }]);
    expect((await c.db.query('SELECT 1 FROM callbacks')).rows).toEqual([]);
  });

  it('a call waiting past its line’s overflow delay goes to the overflow line’s agents (a physician here), not before', async () => {
    const c = await center({ line: { overflowAfterSeconds: 3, overflowTo: 'medecins' } });
    // The physicians' line, declared beside it.
    const doctor = await arm(c.server, 'dr1');
    await free(doctor);
    const started = Date.now();
    const phoned = await trunk.call({ from: patient(60), to: '116117' });
    await phoned.answered;
    expect(Date.now() - started).toBeGreaterThan(2_900);
    expect(doctor.phone.answered.filter((x) => x.accepted).map((x) => x.from)).toEqual([patient(60)]);
    await phoned.hangUp();
  });

  it('nobody free past the overflow delay of a line that overflows to a message: the caller hears it, the call ends, and the number is on the callback list', async () => {
    const OVERFLOW = join(process.cwd(), 'resources/line-audio/rappel-plus-tard.wav');
    const c = await center({ line: { overflowAfterSeconds: 2, overflowMessage: OVERFLOW } });
    const phoned = await trunk.call({ from: patient(70), to: '116117' });
    const started = Date.now();
    await expect(phoned.answered).rejects.toThrow(/ended before it was answered/);
    const message = readWav16(OVERFLOW).samples;
    expect(Date.now() - started, 'the delay, then the whole message').toBeGreaterThan(2_000 + (message.length / 8) * 0.9);
    // What the caller heard after the delay (the waiting message until then): the overflow message, whole.
    const heard = phoned.heard();
    const match = correlation(heard, message, 3, 10_000);
    expect(match.r, `the caller heard the overflow message (correlation ${match.r.toFixed(3)})`).toBeGreaterThan(0.9);
    expect(match.lagMs, 'after the overflow delay').toBeGreaterThanOrEqual(2_000);
    expect(heard.length / 8).toBeGreaterThan(match.lagMs + (message.length / 8) * 0.95);
    const state = await call<LinesState>((await arm(c.server, 'arm1')).ws.core, 'lines.state', {});
    expect(state.callbacks.map((e) => e.number)).toEqual([patient(70)]);
  });

  it('a long wait: the caller’s operator gets a provisional response again and again, the announcement goes on, and the call is still handed out', async () => {
    const c = await center({ progressSeconds: 2 });
    const a1 = await arm(c.server, 'arm1');
    const phoned = await trunk.call({ from: patient(80), to: '116117' });
    await waitFor('waiting', async () => (await linesOf(c.server)).lines[0]!.waiting === 1);
    await new Promise((r) => setTimeout(r, 5_500));
    // The first 183 (with the announcement's media), then one every 2 s while nobody is free.
    const progress = phoned.provisional().filter((code) => code === 183);
    expect(progress.length, `183s received: ${phoned.provisional().join(', ')}`).toBeGreaterThanOrEqual(3);
    // The early media was not restarted nor cut: what the caller heard is the message, on and on.
    const heard = phoned.heard();
    expect(heard.length).toBeGreaterThan(5 * 8000);
    expect(correlation(heard, readWav16(ANNOUNCEMENT).samples).r).toBeGreaterThan(0.9);
    // Still parked as before: an ARM free now gets it.
    await free(a1);
    await phoned.answered;
    expect(a1.phone.answered.filter((x) => x.accepted).map((x) => x.from)).toEqual([patient(80)]);
    await phoned.hangUp();
  });

  it('a restart of the server while a caller hears the closed line’s message: the call still ends when the message is over, not 15 minutes later', async () => {
    // Wednesday 9 December 2026, 10:00 in Paris: no PDSA period.
    const c = await center({ line: { hours: 'pdsa', closedAnnouncement: CLOSED_MESSAGE }, offsetMs: Date.UTC(2026, 11, 9, 9, 0) - Date.now() });
    const started = Date.now();
    const phoned = await trunk.call({ from: patient(90), to: '116117' });
    await waitFor('the message playing', async () => (await c.db.query('SELECT 1 FROM line_calls WHERE message_ends_at IS NOT NULL')).rows.length === 1, 5_000);
    await c.server.close();
    c.server = await c.start();
    await expect(phoned.answered).rejects.toThrow(/ended before it was answered/);
    const messageMs = readWav16(CLOSED_MESSAGE).samples.length / 8;
    expect(Date.now() - started, 'ended once the message is over, by the new process').toBeLessThan(messageMs + 5_000);
    await waitFor('nothing left to end', async () => (await c.db.query('SELECT 1 FROM line_calls WHERE message_ends_at IS NOT NULL')).rows.length === 0, 5_000);
  });

  it('the server away while the ARM answers an offered call: back, the call is on the books as answered, not on the callback list', async () => {
    const c = await center();
    const a1 = await arm(c.server, 'arm1', 2_000);
    await free(a1);
    const phoned = await trunk.call({ from: patient(95), to: '116117' });
    await waitFor('offered to the ARM', async () => (await c.db.query("SELECT 1 FROM line_calls WHERE state = 'offered'")).rows.length === 1, 5_000);
    // The server stops while the phone rings; the ARM picks up 2 s later, while it is away.
    await c.server.close();
    await phoned.answered;
    c.server = await c.start();
    // Back: the offer had no outcome here; offered again, Kamailio says it was answered meanwhile.
    await waitFor(
      'answered on the books',
      async () => (await c.db.query<{ state: string }>('SELECT state FROM line_calls')).rows[0]?.state === 'answered',
      30_000,
    );
    expect((await c.db.query<{ answered_by: string }>('SELECT answered_by FROM line_calls')).rows[0]!.answered_by).toBe('arm1');
    expect((await c.db.query('SELECT 1 FROM callbacks')).rows).toEqual([]);
    await phoned.hangUp();
  }, 60_000);
});
