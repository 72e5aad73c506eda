/**
 * Hub Santé over the loopback Hub (second RabbitMQ node with TLS + EXTERNAL, the dispatcher stub),
 * each figure next to the same path without Permanence, measured in the same run:
 *  - round trip: a transfer committed on the liberal server → the SAMU server integrates it and
 *    answers RC-REF → the liberal server commits the step and pushes it to a workstation socket
 *    ("shown"), sequential; baseline: a bare amqplib publish → consume → RC-REF → consume through
 *    the same broker and stub (two scripted clients);
 *  - incoming burst: N partner cases integrated exactly once (committed, acknowledged on AMQP,
 *    answered with one RC-REF each, all RC-REFs back at the partner); baseline: the same N messages
 *    answered by a bare consumer that acknowledges and replies at once.
 */
import { flushMarks, mark } from '../../src-server/latency-marks.js';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { WebSocket } from 'ws';
import { buildEnvelope, readEnvelope, type HubEnvelope, type OutgoingMessage } from '../../src-shared/domain/hubsante-envelope.js';
import { ackOf } from '../../src-shared/domain/hubsante-protocol.js';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { SERVER_NODE_FLAGS } from '../../src-server/operations/node-flags.js';
import { openPostgres, type SqlDatabase } from '../../src-server/db/sql.js';
import { freshDatabase, OTHER_TENANT, rawLogin, TENANT, TOKEN_SECRET, waitFor } from '../fixtures/sync-harness.js';
import { connectAs } from '../fixtures/hub-dispatcher.js';
import { act, arm, ensureHubBroker, hubConfig, partnerCase, physician } from '../fixtures/hub.js';
import { median, quantile, fmt } from './stats.js';
import { breakdown } from './latency-breakdown.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

const LIBERAL = 'fr.health.snp210';
const SAMU = 'fr.health.samu210';
// Identities no regulation server reads in this bench: the scripted partners and the baselines.
const PEER_A = 'fr.health.samu990';
const PEER_B = 'fr.health.snp990';

const samuCase = (caseId: string, owner: string, i: number) => partnerCase(caseId, { owner, lastName: `Patient${i}` });

/** A promise that fails after `ms` (a lost message must stop the benchmark, not hang it). */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, fail) => setTimeout(() => fail(new Error(`${what}: nothing after ${ms} ms`)), ms).unref())]);

const out = (from: string, to: string, kind: OutgoingMessage['kind'], useCase: string, payload: unknown): OutgoingMessage => {
  const now = Date.now();
  return { senderId: from, recipientId: to, kind, useCase, payload, sentAt: now, expiresAt: now + 86_400_000, uuid: uuidv7() };
};

/** A raw amqplib client: publish as itself (confirmed), and a handler per delivery on its queues. */
async function rawClient(id: string, onMessage: (queue: string, env: HubEnvelope, publish: (m: OutgoingMessage) => void) => void) {
  const model = await connectAs(id);
  model.on('error', () => {});
  const ch = await model.createConfirmChannel();
  for (const q of ['message', 'ack', 'info']) while (await ch.get(`${id}.${q}`, { noAck: true })) {/* what earlier runs left */}
  await ch.prefetch(500);
  const publish = (m: OutgoingMessage) => ch.publish('hubsante', id, Buffer.from(JSON.stringify(buildEnvelope(m))), { contentType: 'application/json', persistent: true });
  for (const q of ['message', 'ack', 'info']) {
    await ch.consume(`${id}.${q}`, (msg) => {
      if (!msg) return;
      ch.ack(msg);
      onMessage(q, JSON.parse(msg.content.toString('utf8')) as HubEnvelope, publish);
    });
  }
  return {
    publish,
    confirmed: () => ch.waitForConfirms(),
    close: async () => {
      await ch.close().catch(() => {});
      await model.close().catch(() => {});
    },
  };
}

const ackFor = (env: HubEnvelope, me: string): OutgoingMessage | null => {
  const d = readEnvelope(env);
  if (!d.ok || d.value.useCase === 'reference' || d.value.useCase === 'error') return null;
  const now = Date.now();
  return ackOf(d.value, { clientId: me, sentAt: now, expiresAt: now + 86_400_000, uuid: uuidv7() }, { step: 'INTEGRE' });
};

/** Bare round trips: A publishes a case, B answers RC-REF at once, A receives it. */
async function bareSession() {
  const waiting = new Map<string, (t: number) => void>();
  const b = await rawClient(PEER_B, (q, env, publish) => {
    if (q === 'message') mark('bare-delivered-message');
    const ack = q === 'message' ? ackFor(env, PEER_B) : null;
    if (ack) {
      publish(ack);
      mark('bare-published-ack');
    }
  });
  const a = await rawClient(PEER_A, (q, env) => {
    if (q !== 'ack') return;
    mark('bare-delivered-ack');
    const ref = (env.content[0].jsonContent.embeddedJsonContent.message.reference as { distributionID: string }).distributionID;
    waiting.get(ref)?.(performance.now());
  });
  let i = 0;
  return {
    async run(n: number): Promise<number[]> {
      const times: number[] = [];
      for (const end = i + n; i < end; i++) {
        const m = out(PEER_A, PEER_B, 'Report', 'createCaseHealth', samuCase(`${PEER_A}.DRFR1539A2633${String(i).padStart(6, '0')}`, PEER_B, i));
        const done = new Promise<number>((ok) => waiting.set(`${PEER_A}_${m.uuid}`, ok));
        const t0 = performance.now();
        mark('bare-published-message');
        a.publish(m);
        times.push((await within(done, 10_000, 'bare round trip')) - t0);
      }
      return times;
    },
    async close() {
      await a.close();
      await b.close();
    },
  };
}

/** A child process of this bench (a script of this folder) that prints "ready [what]" once started and stops on SIGTERM. */
async function childProcess(script: string, args: string[]): Promise<{ ready: string; pid: number; stop(): Promise<void> }> {
  const profile = process.env.PERMANENCE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PERMANENCE_BENCH_CPU_PROF}`] : [];
  const server = script === 'hubsante-server.child.ts';
  // A regulation server runs with the Node options it is shipped with (systemd unit, Dockerfile).
  // Diagnostics: PERMANENCE_BENCH_NODE_FLAGS for every child (e.g. --trace-gc, shown here),
  // PERMANENCE_BENCH_SERVER_FLAGS for the servers only, PERMANENCE_BENCH_SERVER_BUNDLE=<file> to run
  // the servers from an esbuild bundle of hubsante-server.child.ts (CPU profiles with line numbers).
  const extra = [process.env.PERMANENCE_BENCH_NODE_FLAGS, server ? process.env.PERMANENCE_BENCH_SERVER_FLAGS : ''].join(' ').split(' ').filter(Boolean);
  const bundle = server ? process.env.PERMANENCE_BENCH_SERVER_BUNDLE : undefined;
  const entry = bundle ? [bundle] : ['--import', 'tsx', resolve(import.meta.dirname, script)];
  const child = spawn(process.execPath, [...(server ? SERVER_NODE_FLAGS : []), ...profile, ...extra, ...entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await within(
    new Promise<string>((ok, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        if (extra.length) process.stderr.write(`[${script}] ${d.toString()}`);
        const m = /ready ?(\S*)/.exec(d.toString());
        if (m) ok(m[1]!);
      });
      child.once('exit', (code) => fail(new Error(`${script} exited (${code})`)));
    }),
    60_000,
    `${script} start`,
  );
  return {
    ready,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await within(exited, 20_000, `${script} stop`).catch(() => child.kill('SIGKILL'));
    },
  };
}

/** A regulation server in a child process of its own (another center, another machine in production). */
async function serverProcess(tenant: string, clientId: string, peer: string, prefetch?: number): Promise<{ dbUrl: string; pid: number; stop(): Promise<void> }> {
  const c = await childProcess('hubsante-server.child.ts', [tenant, clientId, peer, ...(prefetch ? [String(prefetch)] : [])]);
  return { dbUrl: c.ready, pid: c.pid, stop: c.stop };
}

/** The liberal center here (its workstation socket is what we watch), the SAMU in its own process. */
async function twoServers() {
  const lib = await freshDatabase('postgres');
  const liberal = await startServer({ db: lib.db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', hubsante: [hubConfig(TENANT, LIBERAL, SAMU)] });
  const samu = await serverProcess(TENANT, SAMU, LIBERAL);
  await waitFor('links up', () => liberal.hub(TENANT)!.link.connected, 30_000);
  return {
    liberal,
    db: lib.db,
    samuPid: samu.pid,
    close: async () => {
      await samu.stop();
      await liberal.close();
      await lib.db.close();
      await lib.drop();
    },
  };
}

/** Transfer committed → integrated step pushed to a workstation socket of the liberal center. */
async function permanenceSession(liberal: RegulationServer, db: SqlDatabase) {
  const w = await liberal.writer(TENANT);
  /** Cases under regulation, ready to be transferred (made before the timing starts). */
  const underRegulation = async (n: number) => {
    const batch = Array.from({ length: n }, () => uuidv7());
    const step = (command: Parameters<typeof act>[3], actor: typeof arm) =>
      w.submit(batch.map((caseId, k) => ({ mutation: { id: uuidv7(), caseId, command, clientTime: Date.now(), localSeq: k + 1 }, actor, workstationId: 'bench' })));
    await step({ type: 'open', line: '116117', fields: { callbackPhone: '0612345678', reasonCode: 'FEVER', priority: 'P2', location: { inseeCode: '21231', communeName: 'Dijon' }, patient: { lastName: 'Bench', firstName: 'Paul', ageYears: 40 } } }, arm);
    await step({ type: 'send_to_regulation' }, arm);
    await step({ type: 'take' }, physician());
    return batch;
  };
  const token = await rawLogin(liberal.url, 'arm1');
  const waiting = new Map<string, (t: number) => void>();
  const ws = await new Promise<WebSocket>((ok, fail) => {
    const s = new WebSocket(`${liberal.url.replace('http', 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
    s.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { type: string; events?: { caseId: string; kind: string; payload: { delivery?: { state?: string } } }[] };
      if (f.type !== 'events') return;
      for (const e of f.events!) if (e.kind === 'case.hub_delivery' && e.payload.delivery?.state === 'integrated') { mark('shown'); waiting.get(e.caseId)?.(performance.now()); }
    });
    s.once('open', () => ok(s));
    s.once('error', fail);
  });
  return {
    async run(n: number): Promise<number[]> {
      const ids = await underRegulation(n);
      // Let the writer's and the dispatcher's follow-ups of that preparation pass.
      await new Promise((r) => setTimeout(r, 400));
      const times: number[] = [];
      for (const caseId of ids) {
        const shown = new Promise<number>((ok) => waiting.set(caseId, ok));
        const [v] = await w.submit([{ mutation: { id: uuidv7(), caseId, command: { type: 'transfer_samu', reason: 'bench' }, clientTime: Date.now(), localSeq: 1 }, actor: physician(), workstationId: 'bench' }]);
        // From the moment the transfer is committed (the "case committed → RC-REF shown").
        const t0 = performance.now();
        mark('transfer-committed');
        if (v!.status !== 'accepted') throw new Error(`transfer refused: ${JSON.stringify(v!.error)}`);
        try {
          times.push((await within(shown, 10_000, 'Permanence round trip')) - t0);
        } catch (error) {
          // Say where it stopped: the message's steps and the partner's answer, if any.
          const { rows } = await db.query(`SELECT distribution_id, state, steps, error_code, error_cause FROM hub_outbox WHERE case_id = $1`, [caseId]);
          throw new Error(`${(error as Error).message} (case ${caseId}: ${JSON.stringify(rows)})`, { cause: error });
        }
      }
      return times;
    },
    close: () => ws.terminate(),
  };
}

/** Who answers at once in the bare burst (the Jura's center, snp990, is our server's; this identity is free by then). */
const BARE_B = LIBERAL;

/**
 * N partner cases published at once to one center: all RC-REFs back at the partner. `bare`: a
 * consumer that acknowledges and answers at once (as BARE_B); `permanence`: our server (snp990),
 * whose database is read to count what it integrated.
 */
async function burst(n: number, tag: string, target: 'permanence' | 'bare', libDb?: SqlDatabase): Promise<{ perSecond: number; acks: number; cases: number; rcref: number }> {
  let acks = 0;
  const seen = new Set<string>();
  const to = target === 'bare' ? BARE_B : PEER_B;
  const bare = target === 'bare' ? await rawClient(BARE_B, (q, env, publish) => {
    const ack = q === 'message' ? ackFor(env, BARE_B) : null;
    if (ack) publish(ack);
  }) : null;
  const a = await rawClient(PEER_A, (q, env) => {
    if (q !== 'ack') return;
    const ref = (env.content[0].jsonContent.embeddedJsonContent.message.reference as { distributionID: string }).distributionID;
    if (!seen.has(ref)) {
      seen.add(ref);
      acks++;
    }
  });
  const countRcRef = async () => (await libDb!.query<{ n: number }>(`SELECT count(*)::int AS n FROM hub_outbox WHERE tenant = $1 AND use_case = 'reference'`, [OTHER_TENANT])).rows[0]!.n;
  const rcrefBefore = libDb ? await countRcRef() : 0;
  const stamp = `${tag}${Date.now() % 1_000_000}`;
  const messages = Array.from({ length: n }, (_, i) => out(PEER_A, to, 'Report', 'createCaseHealth', samuCase(`${PEER_A}.DRFR1539B${stamp}${String(i).padStart(6, '0')}`, to, i)));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    a.publish(messages[i]!);
    if (i % 1000 === 999) await a.confirmed();
  }
  await a.confirmed();
  await waitFor(`${n} RC-REF back`, () => acks >= n, 300_000);
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 300));
  let cases = n;
  let rcref = n;
  if (libDb) {
    cases = (await libDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE tenant = $1 AND data LIKE '%DRFR1539B${stamp}%'`, [OTHER_TENANT])).rows[0]!.n;
    rcref = (await countRcRef()) - rcrefBefore;
  }
  await a.close();
  await bare?.close();
  return { perSecond: n / seconds, acks, cases, rcref };
}

export async function benchHubSante({ smoke }: { smoke: boolean }): Promise<SectionResult> {
  ensureHubBroker();
  // The Hub is another system: its dispatcher runs in a process of its own, for the baseline as for
  // Permanence (in this one it would wait behind the liberal center's work, which no real Hub does).
  // PERMANENCE_LATENCY_MARKS=<file>: the round trips are also told step by step (latency marks).
  const marks = process.env.PERMANENCE_LATENCY_MARKS;
  if (marks) writeFileSync(marks, '');
  const stub = await childProcess('hub-dispatcher.child.ts', ['1000']);
  names.set(process.pid, 'liberal').set(stub.pid, 'hub');
  let correct = true;
  let met = true;
  // PERMANENCE_BENCH_HUB_PART=roundtrip or burst runs one part alone (to profile it).
  const part = process.env.PERMANENCE_BENCH_HUB_PART;
  try {
    // Both run even when the first misses its target.
    if (part !== 'burst') met = (await roundTrips(smoke)) && met;
    if (part !== 'roundtrip') {
      const b = await incomingBurst(smoke);
      correct = b.correct;
      met = b.met && met;
    }
  } finally {
    await stub.stop();
  }
  if (marks && part !== 'burst') printBreakdown(marks);
  return passed(correct, met);
}

/** Which process wrote which marks (this one is the liberal center). */
const names = new Map<number, string>();

function printBreakdown(file: string): void {
  flushMarks();
  const text = readFileSync(file, 'utf8');
  // The bare path's own hops, told the same way: which of ours take longer than the broker's alone.
  // This process hosts the liberal center and, in the bare path, the two raw clients.
  for (const [title, who, start, end] of [
    ['a round trip', names, 'transfer-committed', 'shown'],
    ['a bare round trip', new Map(names).set(process.pid, 'bare clients'), 'bare-published-message', 'bare-delivered-ack'],
  ] as const) {
    const b = breakdown(text, who, start, end);
    console.log(`\n# Hub Santé: where ${title} goes (median of each step, ${b.typical} of ${b.roundTrips} round trips took this path; their median ${fmt(b.totalMedianMs)})`);
    console.log('| from | to | median |');
    console.log('| --- | --- | --- |');
    for (const s of b.steps) console.log(`| ${s.from} | ${s.to} | ${fmt(s.medianMs)} |`);
  }
}

async function roundTrips(smoke: boolean): Promise<boolean> {
  const n = smoke ? 50 : 1_000;
  const warm = smoke ? 5 : 50;
  // Both paths are up for the whole measure and timed in alternating blocks, so that both see
  // the same machine (a shared host's noise moves either from one minute to the next).
  const bareClients = await bareSession();
  const s = await twoServers();
  names.set(s.samuPid, 'samu');
  const bare: number[] = [];
  const ours: number[] = [];
  try {
    const session = await permanenceSession(s.liberal, s.db);
    try {
      await bareClients.run(warm);
      await session.run(warm);
      const block = smoke ? n : 100;
      for (let done = 0; done < n; done += block) {
        bare.push(...(await bareClients.run(block)));
        ours.push(...(await session.run(block)));
      }
    } finally {
      session.close();
    }
  } finally {
    await bareClients.close();
    await s.close();
  }
  // Restated next to the same run's bare path (issue 17): p50 ≤ 2.5 × the bare amqplib round trip.
  const ratio = median(ours) / median(bare);
  const rtOk = ratio <= 2.5;
  console.log(`\n# Hub Santé: round trip on the loopback Hub (${n} cases, sequential, after ${warm} warm-up)`);
  console.log('| path | p50 | p99 | max | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(`| bare amqplib: publish → stub → consumer → RC-REF → stub → consumer | ${fmt(median(bare))} | ${fmt(quantile(bare, 0.99))} | ${fmt(Math.max(...bare))} | baseline | |`);
  console.log(`| Permanence: transfer committed → SAMU server integrates, RC-REF → step committed and pushed to a workstation | ${fmt(median(ours))} | ${fmt(quantile(ours, 0.99))} | ${fmt(Math.max(...ours))} | p50 ≤ 2.5 × bare (here ${ratio.toFixed(2)} ×) | ${verdictText(rtOk, smoke)} |`);

  return rtOk;
}

/** Each round's rate, in order. */
const each = (list: { perSecond: number }[]) => list.map((x) => Math.round(x.perSecond)).join(' · ');

/**
 * The bursts of both paths in alternating rounds, with our server up for all of them (as the round
 * trips alternate blocks): one burst of each, back to back, moved by ±15 % from one run to the
 * next on the baseline alone (a shared host), and the first burst of a server started a second
 * before measured its start as much as its work. The verdict compares the medians of the rounds;
 * every round is printed, the first (our server just started) included.
 */
async function incomingBurst(smoke: boolean): Promise<{ correct: boolean; met: boolean }> {
  const m = smoke ? 500 : 10_000;
  const rounds = smoke ? 1 : 3;
  // The liberal center of the Jura in its own process; its database is read here to count.
  const center = await serverProcess(OTHER_TENANT, PEER_B, PEER_A, 1000);
  const db = await openPostgres(center.dbUrl);
  const bare: Awaited<ReturnType<typeof burst>>[] = [];
  const ours: Awaited<ReturnType<typeof burst>>[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      bare.push(await burst(m, `R${r}X`, 'bare'));
      ours.push(await burst(m, `R${r}P`, 'permanence', db));
    }
  } finally {
    await db.close();
    await center.stop();
  }
  const exactlyOnce = ours.every((o) => o.cases === m && o.rcref === m && o.acks === m) && bare.every((b) => b.acks === m);
  // Restated next to the same run's bare consumer doing the same broker work (consume, ack, one answer each).
  const bareRate = median(bare.map((b) => b.perSecond));
  const ourRate = median(ours.map((o) => o.perSecond));
  const share = ourRate / bareRate;
  const burstMet = share >= 0.7;
  console.log(`\n# Hub Santé: incoming burst (${m.toLocaleString('fr-FR')} partner cases published at once, ${rounds} alternating round(s) of each path)`);
  console.log('| path | messages/s end to end (median; each round) | cases | RC-REF written / received | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(`| bare consumer: ack + RC-REF at once | ${Math.round(bareRate)} (${each(bare)}) | — | — / ${bare.map((b) => b.acks).join(' · ')} | baseline | |`);
  console.log(`| Permanence: journal, case committed, AMQP ack, one RC-REF each | ${Math.round(ourRate)} (${each(ours)}) | ${ours.map((o) => o.cases).join(' · ')} | ${ours.map((o) => o.rcref).join(' · ')} / ${ours.map((o) => o.acks).join(' · ')} | ≥ 70 % of bare (here ${Math.round(share * 100)} %; rounds ${ours.map((o, i) => Math.round((100 * o.perSecond) / bare[i]!.perSecond)).join(' · ')} %), each exactly once | ${verdictText(burstMet, smoke, exactlyOnce)} |`);
  return { correct: exactlyOnce, met: burstMet };
}
