/**
 * Failover of the central server between two instances on one PostgreSQL (issue 21): a client
 * pushes a new case every 25 ms, to both instances in turn (each forwards to the center's holder);
 * the holder is killed with SIGKILL, restarted as the standby, and so on. Measured: from the kill
 * to the first mutation accepted after it. Baseline, same run: a push's round trip while nothing
 * fails. A mutation never accepted, or accepted twice, fails the run.
 */
import { execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, rawLogin, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { HA_RUN, HA_URL, pidIn, primary, settled } from '../fixtures/ha-cluster.js';
import { benchWriter } from './sync.bench.js';
import { spawnServer, type ServerProcess } from '../fixtures/server-process.js';
import { fmt } from './sync.bench.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

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
    const sent = new Set<string>();
    const accepted = new Map<string, number>();
    const rtts: number[] = [];
    let stop = false;
    let turn = 0;
    /** One mutation, sent again (same id) until it is accepted: what a workstation's outbox does. */
    const pushOne = async () => {
      const id = uuidv7();
      sent.add(id);
      const mutation = { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
      for (;;) {
        const target = instances[turn++ % instances.length]!;
        const t0 = performance.now();
        try {
          const res = await fetch(`${target.url}/api/sync/push`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ mutations: [mutation] }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.ok) {
            const body = (await res.json()) as { verdicts: { status: string }[] };
            if (body.verdicts[0]?.status === 'accepted') {
              accepted.set(id, Date.now());
              rtts.push(performance.now() - t0);
              return;
            }
          }
        } catch {
          // the instance is gone: the next one
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const load = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (!stop) {
        const p = pushOne().finally(() => inFlight.delete(p));
        inFlight.add(p);
        await new Promise((r) => setTimeout(r, 25));
      }
      await Promise.all(inFlight);
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    const baseline = quantile(rtts, 0.5);
    const failovers: number[] = [];
    for (let k = 0; k < kills; k++) {
      const name = await holderName();
      const victim = instances[name === 'a' ? 0 : 1]!;
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      // The first mutation accepted after the kill (sent before or after it).
      while (![...accepted.values()].some((at) => at > killedAt)) await new Promise((r) => setTimeout(r, 5));
      failovers.push(Math.min(...[...accepted.values()].filter((at) => at > killedAt)) - killedAt);
      await victim.restart();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    stop = true;
    await load;
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
    const sent = new Set<string>();
    const accepted = new Map<string, number>();
    let stop = false;
    try {
      const token = await rawLogin(server.url, 'arm1');
      const pushOne = async () => {
        const id = uuidv7();
        sent.add(id);
        const mutation = { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
        for (;;) {
          try {
            const res = await fetch(`${server.url}/api/sync/push`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ mutations: [mutation] }),
              signal: AbortSignal.timeout(20_000),
            });
            if (res.ok && ((await res.json()) as { verdicts: { status: string }[] }).verdicts[0]?.status === 'accepted') {
              accepted.set(id, Date.now());
              return;
            }
          } catch {
            // retried, as a workstation's outbox does
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const load = (async () => {
        const inFlight = new Set<Promise<void>>();
        while (!stop) {
          const p = pushOne().finally(() => inFlight.delete(p));
          inFlight.add(p);
          await new Promise((r) => setTimeout(r, 25));
        }
        await Promise.all(inFlight);
      })();
      for (let k = 0; k < kills; k++) {
        await settled();
        await new Promise((r) => setTimeout(r, 500));
        const victim = await primary();
        const killedAt = Date.now();
        process.kill(pidIn(`${HA_RUN}/data/${victim}/postmaster.pid`), 'SIGKILL');
        while (![...accepted.values()].some((at) => at > killedAt)) await new Promise((r) => setTimeout(r, 10));
        failovers.push(Math.min(...[...accepted.values()].filter((at) => at > killedAt)) - killedAt);
      }
      stop = true;
      await load;
    } finally {
      stop = true;
      await server.close();
    }
    const { rows } = await db.query<{ n: number; ids: number; hi: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, coalesce(max(seq), 0) AS hi FROM events WHERE tenant = $1', [TENANT]);
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
