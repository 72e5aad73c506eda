/**
 * The 116117 line under load (issue 20): scripted patients (sip.js in Node, plain RTP) call the
 * line through the project's Kamailio; the central server's distributor hands the calls to ARMs
 * whose phones are sip.js in Node (auto-answer after 300 ms; the ARM's voice a 1 kHz tone) and
 * whose states go to the server as a workstation sends them (busy on answer, available after the
 * wrap-up). Some callers give up while waiting.
 *
 * Checked (a correctness failure in every run): no call lost (each answered with audio, or
 * abandoned by its caller), every answered call recorded with both voices and tied to its Call-ID, every abandon on
 * the callback list. Measured: calls per agent (max/min), the time from an agent going free while
 * calls wait to the next call ringing on that agent's phone (median target ≤ 200 ms), next to the
 * same hop through Kamailio alone (a direct INVITE to a registered phone); rtpengine's CPU per
 * call-second, recorded (line calls) next to unrecorded (direct calls).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src-server/server.js';
import { createUser } from '../../src-server/services/auth.js';
import { freshDatabase, SIP_WS_URL, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone, type ScriptedCall } from '../fixtures/patient-caller.js';
import { testLine, testTelephony } from '../fixtures/lines.js';
import { tonePower, wavChannels } from '../fixtures/audio.js';
import { decryptRecording } from '../../src-server/telephony/recordings.js';
import { median } from './stats.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

const RUN = process.env.PERMANENCE_RUN_DIR ?? '/tmp/permanence-services';
const WRAP_UP_MS = 500;

/** rtpengine's CPU time so far (ms), from /proc. */
function rtpengineCpuMs(): number | null {
  try {
    const pid = readFileSync(join(RUN, 'rtpengine.pid'), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

export async function benchLines(options: { smoke: boolean }): Promise<SectionResult> {
  const agents = options.smoke ? 4 : 20;
  // Slightly more calls than the ARMs can take: a queue builds, and the impatient give up.
  const callers = options.smoke ? 20 : 200;
  const spreadMs = options.smoke ? 6_000 : 60_000;
  const talkMs = options.smoke ? 1_500 : 6_000;
  const { db, drop } = await freshDatabase('postgres');
  const storeDir = mkdtempSync(join(tmpdir(), 'permanence-bench-recordings-'));
  const key = randomBytes(32);
  const logins: string[] = [];
  for (let i = 1; i <= agents; i++) {
    const n = String(i).padStart(2, '0');
    logins.push(`arm-ligne-${n}`);
    await createUser(db, { tenant: TENANT, login: `arm-ligne-${n}`, displayName: `ARM ligne ${n}`, role: 'arm', password: `arm-ligne-${n}-password`, sip: { username: `agent${n}`, password: `agent${n}pass` } });
  }
  const server = await startServer({
    db,
    tokenSecret: TOKEN_SECRET,
    logLevel: process.env.PERMANENCE_BENCH_LOG ?? 'silent',
    heartbeatMs: 1_000,
    // The same line unrecorded beside it: the baseline of the recording's cost (never a regulation line).
    telephony: testTelephony([testLine({ number: '116118', label: 'sans enregistrement', ringSeconds: 10, record: false }), testLine({ ringSeconds: 10 })], { storeDir, key }, 300),
  });
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  const phones: ScriptedPhone[] = [];
  try {
    const tokens = await Promise.all(
      logins.map(async (login) => {
        const res = await fetch(`${server.url}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: TENANT, login, password: `${login}-password`, workstationId: `bench-${login}` }),
        });
        return ((await res.json()) as { token: string }).token;
      }),
    );
    const setState = (i: number, state: 'available' | 'busy') =>
      fetch(`${server.url}/api/agent/state`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` }, body: JSON.stringify({ state, reason: null }) });

    // The ARMs' phones; each answered call is a conversation, then the wrap-up, then free again.
    const freedAt: { agent: number; at: number; queued: boolean }[] = [];
    const offeredAt: { agent: number; at: number }[] = [];
    const served = Array.from({ length: agents }, () => 0);
    for (let i = 0; i < agents; i++) {
      const n = String(i + 1).padStart(2, '0');
      const phone = await ScriptedPhone.registered(SIP_WS_URL, `agent${n}`, `agent${n}pass`, '127.0.0.1', 300);
      phone.toneHz = 1_000;
      phones.push(phone);
    }
    let waiting = 0;
    let stopWatching = false;
    const watchers = phones.map(async (phone, i) => {
      let seen = 0;
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        if (phone.answered.length === seen) {
          if (stopWatching) return;
          continue;
        }
        const call = phone.answered[seen++]!;
        offeredAt.push({ agent: i, at: performance.now() });
        // Answered after 300 ms (the phone's own ring), busy as the workstation says it.
        await new Promise((r) => setTimeout(r, 350));
        if (!call.accepted) continue;
        served[i]! += 1;
        void setState(i, 'busy');
        await Promise.race([call.ended, new Promise((r) => setTimeout(r, talkMs))]);
        await call.hangUp().catch(() => {});
        await new Promise((r) => setTimeout(r, WRAP_UP_MS));
        freedAt.push({ agent: i, at: performance.now(), queued: waiting > 0 });
        await setState(i, 'available');
      }
    });
    await Promise.all(phones.map((_, i) => setState(i, 'available')));

    // The callers: spread over the period; one in ten gives up after 1–3 s if not answered.
    const t0 = performance.now();
    type Outcome = { number: string; callId: string; answered: boolean; abandoned: boolean; audio: boolean; error?: string };
    const outcomes: Outcome[] = [];
    const pending: Promise<void>[] = [];
    for (let c = 0; c < callers; c++) {
      const due = t0 + (spreadMs * c) / callers;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const number = `07${String(30_000_000 + c).padStart(8, '0')}`;
      const impatient = c % 10 === 9;
      pending.push(
        (async () => {
          let call: ScriptedCall | null = null;
          try {
            call = await trunk.call({ from: number, to: '116117' });
            waiting += 1;
            let patience: ReturnType<typeof setTimeout> | undefined;
            const answered = await Promise.race([
              call.answered.then(() => true),
              new Promise<false>((r) => (patience = setTimeout(() => r(false), impatient ? 1_000 + (c % 3) * 1_000 : 240_000))),
            ]);
            clearTimeout(patience);
            waiting -= 1;
            if (!answered) {
              await call.hangUp();
              outcomes.push({ number, callId: call.callId, answered: false, abandoned: true, audio: false });
              return;
            }
            await call.ended;
            outcomes.push({ number, callId: call.callId, answered: true, abandoned: false, audio: call.rtp().received > 0 });
          } catch (error) {
            outcomes.push({ number, callId: call?.callId ?? '', answered: false, abandoned: false, audio: false, error: (error as Error).message });
          }
        })(),
      );
    }
    await Promise.all(pending);
    const seconds = (performance.now() - t0) / 1000;
    stopWatching = true;
    await Promise.all(watchers);

    // Free → offered: each time an agent went free while callers waited, the next ring on that phone.
    const hops: number[] = [];
    for (const f of freedAt.filter((x) => x.queued)) {
      const next = offeredAt.find((o) => o.agent === f.agent && o.at > f.at);
      if (next && next.at - f.at < 5_000) hops.push(next.at - f.at);
    }
    // The same hop through Kamailio alone: a direct INVITE to a registered phone, until it rings.
    const direct: number[] = [];
    for (let i = 0; i < (options.smoke ? 5 : 20); i++) {
      const phone = phones[i % agents]!;
      const before = phone.answered.length;
      const start = performance.now();
      const call = await trunk.call({ from: '0600000099', to: `agent${String((i % agents) + 1).padStart(2, '0')}` });
      while (phone.answered.length === before) await new Promise((r) => setTimeout(r, 2));
      direct.push(performance.now() - start);
      await call.answered;
      await call.hangUp();
      await new Promise((r) => setTimeout(r, WRAP_UP_MS + 100));
    }

    // The recording's cost: as many concurrent conversations as there are ARMs, for a few seconds,
    // on the recorded line and then on the same line unrecorded; rtpengine's CPU per call-second.
    const cpuPhase = async (line: string): Promise<number | null> => {
      await new Promise((r) => setTimeout(r, WRAP_UP_MS + 500));
      const before = rtpengineCpuMs();
      const calls = await Promise.all(phones.map((_, i) => trunk.call({ from: `0699${String(i).padStart(6, '0')}`, to: line })));
      await Promise.all(calls.map((c) => c.ended));
      const callSeconds = (agents * talkMs) / 1000;
      const after = rtpengineCpuMs();
      return before === null || after === null ? null : (after - before) / callSeconds;
    };
    stopWatching = false;
    const cpuWatchers = phones.map(async (phone, i) => {
      let seen = phone.answered.length;
      while (!stopWatching) {
        await new Promise((r) => setTimeout(r, 5));
        if (phone.answered.length === seen) continue;
        const call = phone.answered[seen++]!;
        await new Promise((r) => setTimeout(r, 350));
        if (!call.accepted) continue;
        void setState(i, 'busy');
        await new Promise((r) => setTimeout(r, talkMs));
        await call.hangUp().catch(() => {});
        await new Promise((r) => setTimeout(r, WRAP_UP_MS));
        await setState(i, 'available');
      }
    });
    const cpuRecorded = await cpuPhase('116117');
    const cpuUnrecorded = await cpuPhase('116118');
    stopWatching = true;
    await Promise.all(cpuWatchers);

    // The server's view: recordings of every answered call, callbacks for every abandon.
    const answered = outcomes.filter((o) => o.answered);
    const abandoned = outcomes.filter((o) => o.abandoned);
    const lost = outcomes.filter((o) => (!o.answered && !o.abandoned) || (o.answered && !o.audio));
    const until = Date.now() + 30_000;
    let recorded = 0;
    for (;;) {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM recordings WHERE tenant = $1 AND call_id = ANY($2::text[])', [TENANT, answered.map((o) => o.callId)]);
      recorded = rows[0]!.n;
      if (recorded >= answered.length || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const { rows: cb } = await db.query<{ number: string }>('SELECT number FROM callbacks WHERE tenant = $1', [TENANT]);
    const onList = new Set(cb.map((r) => r.number));
    const abandonsListed = abandoned.filter((o) => onList.has(o.number)).length;
    const fairness = Math.max(...served) / Math.max(1, Math.min(...served));
    const hopMedian = hops.length ? median(hops) : null;
    const directMedian = median(direct);
    // Each recording holds both voices: the caller's 440 Hz on the left, the ARM's 1 kHz on the right.
    const { rows: files } = await db.query<{ file: string }>('SELECT file FROM recordings WHERE tenant = $1 AND call_id = ANY($2::text[])', [TENANT, answered.map((o) => o.callId)]);
    let bothVoices = 0;
    let shown = 0;
    for (const { file } of files) {
      const wav = spawnSync('sox', ['-q', '-t', 'ogg', '-', '-t', 'wav', '-b', '16', '-'], { input: decryptRecording(key, readFileSync(join(storeDir, file))), maxBuffer: 64 << 20 });
      const [left, right] = wavChannels(wav.stdout);
      if (left && right && tonePower(left, 440) > 100 * tonePower(left, 1_000) && tonePower(right, 1_000) > 100 * tonePower(right, 440)) bothVoices += 1;
      else if (shown++ < 5) console.log(`  recording without both voices: ${file} (caller side 440/1000 Hz ${left ? tonePower(left, 440).toExponential(1) : '—'}/${left ? tonePower(left, 1_000).toExponential(1) : '—'}, agent side ${right ? tonePower(right, 440).toExponential(1) : '—'}/${right ? tonePower(right, 1_000).toExponential(1) : '—'})`);
    }
    const ok = lost.length === 0 && recorded === answered.length && bothVoices === answered.length && abandonsListed === abandoned.length && answered.length + abandoned.length === callers;
    const met = hopMedian !== null && hopMedian <= 200;
    console.log(`\n# The 116117 line: ${callers} scripted callers over ${spreadMs / 1000} s, ${agents} ARMs (sip.js phones in Node, states over HTTP as a workstation sends them)`);
    console.log('| calls | answered | abandoned (on the callback list) | lost | recorded and tied to the call (both voices) | calls per ARM (min–max, max/min) | free → next call ringing (p50, n) | same hop through Kamailio alone (p50) | rtpengine CPU per call-second, recorded / same line unrecorded | duration | targets | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const perCallSecond = (cpu: number | null) => (cpu === null ? '—' : `${cpu.toFixed(1)} ms`);
    console.log(
      `| ${callers} | ${answered.length} | ${abandoned.length} (${abandonsListed}) | ${lost.length} | ${recorded} (${bothVoices}) / ${answered.length} | ${Math.min(...served)}–${Math.max(...served)} (${fairness.toFixed(2)}) | ${hopMedian === null ? '—' : `${hopMedian.toFixed(0)} ms`} (${hops.length}) | ${directMedian.toFixed(0)} ms | ${perCallSecond(cpuRecorded)} / ${perCallSecond(cpuUnrecorded)} | ${seconds.toFixed(1)} s | free → offered p50 ≤ 200 ms | ${verdictText(met, options.smoke, ok)} |`,
    );
    for (const e of lost.slice(0, 5)) console.log(`  lost: ${e.number} ${e.error ?? 'no audio'}`);
    return passed(ok, met);
  } finally {
    for (const p of phones) await p.stop().catch(() => {});
    await trunk.stop().catch(() => {});
    await server.close();
    await db.close();
    await drop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}
