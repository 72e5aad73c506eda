/**
 * Failover of the central server between two instances on one PostgreSQL (issue 21): a client
 * pushes a new case every 25 ms, to both instances in turn (each forwards to the center's holder);
 * the holder is killed with SIGKILL, restarted as the standby, and so on. Measured: from the kill
 * to the first mutation accepted after it. Baseline, same run: a push's round trip while nothing
 * fails. A mutation never accepted, or accepted twice, fails the run.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, rawLogin, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { HA_RUN, HA_URL, pidIn, primary, settled } from '../fixtures/ha-cluster.js';
import { benchWriter } from './sync.bench.js';
import { freePort, spawnServer, type ServerProcess } from '../fixtures/server-process.js';
import { fmt } from './sync.bench.js';
import { passed, verdictText, type SectionResult } from './verdict.js';


const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/**
 * A client that opens a new case every 25 ms and sends each one again (same id) until it is
 * accepted, as a workstation's outbox does, through the given addresses in turn.
 */
function pushLoad(urls: () => string[], token: string) {
  const sent = new Set<string>();
  const accepted = new Map<string, number>();
  const rtts: number[] = [];
  let stop = false;
  let turn = 0;
  const pushOne = async () => {
    const id = uuidv7();
    sent.add(id);
    const mutation = { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
    for (;;) {
      const all = urls();
      const target = all[turn++ % all.length]!;
      const t0 = performance.now();
      try {
        const res = await fetch(`${target}/api/sync/push`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ mutations: [mutation] }),
          signal: AbortSignal.timeout(20_000),
        });
        if (res.ok && ((await res.json()) as { verdicts: { status: string }[] }).verdicts[0]?.status === 'accepted') {
          accepted.set(id, Date.now());
          rtts.push(performance.now() - t0);
          return;
        }
      } catch {
        // the instance or the database is gone for now: again, elsewhere or later
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const running = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (!stop) {
      const p = pushOne().finally(() => inFlight.delete(p));
      inFlight.add(p);
      await new Promise((r) => setTimeout(r, 25));
    }
    await Promise.all(inFlight);
  })();
  return {
    sent,
    accepted,
    rtts,
    /** Time from `since` to the first mutation accepted after it. */
    async firstAcceptedAfter(since: number): Promise<number> {
      while (![...accepted.values()].some((at) => at > since)) await new Promise((r) => setTimeout(r, 5));
      return Math.min(...[...accepted.values()].filter((at) => at > since)) - since;
    },
    async stop(): Promise<void> {
      stop = true;
      await running;
    },
  };
}

export async function benchFailover({ smoke }: { smoke: boolean }): Promise<SectionResult> {
  const kills = smoke ? 2 : 10;
  const { db, url, drop } = await freshDatabase('postgres');
  const env = (name: string) => ({ DATABASE_URL: url!, PERMANENCE_TOKEN_SECRET: TOKEN_SECRET, PERMANENCE_INSTANCE_NAME: name });
  const instances: ServerProcess[] = [];
  try {
    instances.push(await spawnServer(env('a'), await freePort()));
    instances.push(await spawnServer(env('b'), await freePort()));
    const holderName = async () => (await db.query<{ w: string }>('SELECT writer_instance AS w FROM tenants WHERE id = $1', [TENANT])).rows[0]!.w;
    const token = await rawLogin(instances[0]!.url, 'arm1');
    const load = pushLoad(() => instances.map((i) => i.url), token);
    await new Promise((r) => setTimeout(r, 1_000));
    const baseline = quantile(load.rtts, 0.5);
    const failovers: number[] = [];
    for (let k = 0; k < kills; k++) {
      const name = await holderName();
      const victim = instances[name === 'a' ? 0 : 1]!;
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      // The first mutation accepted after the kill (sent before or after it).
      failovers.push(await load.firstAcceptedAfter(killedAt));
      await victim.restart();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await load.stop();
    const { sent, accepted } = load;
    const { rows } = await db.query<{ n: number; ids: number; hi: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, coalesce(max(seq), 0) AS hi FROM events WHERE tenant = $1', [TENANT]);
    const inLog = rows[0]!;
    const lost = [...sent].filter((id) => !accepted.has(id)).length;
    const correct = lost === 0 && inLog.n === sent.size && inLog.ids === inLog.n && Number(inLog.hi) === inLog.n;
    const median = quantile(failovers, 0.5);
    const max = Math.max(...failovers);
    const met = max <= 3_000;
    console.log(`\n# Failover: two server instances on one PostgreSQL, the center's holder killed (SIGKILL) ${kills} times`);
    console.log('| pushes | in the log (once each, dense) | kill → first accepted mutation, median | max | push round trip, nothing failing (baseline) | target | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    console.log(`| ${sent.size} | ${inLog.n}${correct ? '' : ' (MISMATCH)'} | ${fmt(median)} | ${fmt(max)} | ${fmt(baseline)} | ≤ 3 s, none lost | ${verdictText(met, smoke, correct)} |`);
    return passed(correct, met);
  } finally {
    for (const i of instances) await i.kill().catch(() => {});
    await db.close();
    await drop();
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/**
 * The database cluster (scripts/ha-cluster.sh, started here if it is not running, and stopped
 * again): the writer's throughput with a synchronous standby next to the plain PostgreSQL, same
 * run; and from the kill of the primary PostgreSQL to the first mutation accepted after it.
 */
export async function benchDatabaseFailover({ smoke }: { smoke: boolean }): Promise<SectionResult> {
  const script = resolve(import.meta.dirname, '../../scripts/ha-cluster.sh');
  const wasUp = await portOpen(5440);
  if (!wasUp) execFileSync('bash', [script, 'start'], { stdio: 'inherit', timeout: 300_000 });
  try {
    await settled();
    const n = smoke ? 2_000 : 20_000;
    const single = await benchWriter('postgres', n, 0);
    const replicated = await benchWriter('postgres', n, 0, HA_URL);
    const ratio = replicated.writer / single.writer;

    const kills = smoke ? 1 : 3;
    const { db, drop } = await freshDatabase('postgres', undefined, HA_URL);
    const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
    const failovers: number[] = [];
    let load: ReturnType<typeof pushLoad> | null = null;
    try {
      load = pushLoad(() => [server.url], await rawLogin(server.url, 'arm1'));
      for (let k = 0; k < kills; k++) {
        await settled();
        await new Promise((r) => setTimeout(r, 500));
        const victim = await primary();
        const killedAt = Date.now();
        process.kill(pidIn(`${HA_RUN}/data/${victim}/postmaster.pid`), 'SIGKILL');
        failovers.push(await load.firstAcceptedAfter(killedAt));
      }
    } finally {
      await load?.stop();
      await server.close();
    }
    const { sent, accepted } = load!;
    // A pooled connection cut by the last failover fails once: read again (as the server does).
    let rows: { n: number; ids: number; hi: number }[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        ({ rows } = await db.query<{ n: number; ids: number; hi: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, coalesce(max(seq), 0) AS hi FROM events WHERE tenant = $1', [TENANT]));
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await db.close();
    await drop().catch(() => {});
    const inLog = rows[0]!;
    const correct = [...sent].every((id) => accepted.has(id)) && inLog.n === sent.size && inLog.ids === inLog.n && Number(inLog.hi) === inLog.n;
    const max = Math.max(...failovers);
    const met = ratio >= 0.6 && max <= 15_000;
    console.log('\n# Failover: the database cluster (Patroni, synchronous standby, HAProxy)');
    console.log('| writer, synchronous standby | writer, single PostgreSQL (baseline) | ratio | primary killed → first accepted mutation, median | max | pushes in the log (once each, dense) | targets | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${Math.round(replicated.writer)}/s | ${Math.round(single.writer)}/s | ${(100 * ratio).toFixed(0)} % | ${fmt(quantile(failovers, 0.5))} (${kills} kill${kills > 1 ? 's' : ''}) | ${fmt(max)} | ${inLog.n} of ${sent.size} | ≥ 60 %, ≤ 15 s, none lost | ${verdictText(met, smoke, correct)} |`,
    );
    return passed(correct, met);
  } finally {
    if (!wasUp) execFileSync('bash', [script, 'stop'], { stdio: 'inherit', timeout: 120_000 });
  }
}
