/**
 * Sync benchmarks (issue 3), each next to a same-run baseline:
 *  - writer throughput (mutations/s accepted and committed) vs raw batched INSERTs through the
 *    same driver, alone and with fan-out to 50 connected sockets, on PostgreSQL and PGlite;
 *  - propagation: local commit on an ARM workstation → local commit on every other workstation,
 *    with 50 workstations connected and 50 writes/s (p50, p99);
 *  - reconnect storm: workstations come back at once, each with offline cases;
 *  - initial sync of a new workstation from a server holding many cases (time, RSS) vs a raw
 *    keyset read of the same rows; then resume after a day offline (~7,000 events).
 */
import { openPostgres } from '../../src-server/db/sql.js';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { v7 as uuidv7 } from 'uuid';
import { WebSocket, WebSocketServer } from 'ws';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import type { Mutation } from '../../src-shared/sync-protocol/messages.js';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { startServer } from '../../src-server/server.js';
import type { SqlDatabase } from '../../src-server/db/sql.js';
import { freshDatabase, openWorkstation, TENANT, TOKEN_SECRET, waitFor, type Engine, type Workstation } from '../fixtures/sync-harness.js';
import { median, quantile, fmt } from './stats.js';

const actor = { userId: 'cote-dor:arm1', displayName: 'ARM 1', role: 'arm' as const };
const openMutation = (i: number): Mutation => {
  const id = uuidv7();
  return { id, caseId: id, command: { type: 'open', line: '116117', fields: { reasonText: `bench ${i}` } }, clientTime: Date.now(), localSeq: i + 1 };
};

async function rawInsertRate(db: SqlDatabase, n: number): Promise<number> {
  await db.exec('CREATE TABLE IF NOT EXISTS bench_raw (seq BIGINT, id UUID, payload TEXT)');
  const t0 = performance.now();
  for (let done = 0; done < n; done += 500) {
    const ids = Array.from({ length: 500 }, () => uuidv7());
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO bench_raw SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[])', [
        ids.map((_, k) => done + k),
        ids,
        ids.map(() => '{"line":"116117","fields":{"reasonText":"bench"}}'),
      ]);
    });
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function benchWriter(engine: Engine, n: number, sockets: number, adminUrl?: string): Promise<{ writer: number; withFanout: number; raw: number }> {
  const { db, drop } = await freshDatabase(engine, undefined, adminUrl);
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  try {
    const raw = await rawInsertRate(db, n);
    const writer = await server.writer(TENANT);
    const run = async () => {
      const t0 = performance.now();
      const inFlight: Promise<unknown>[] = [];
      // 64 clients submitting batches of 100: the queue stays full, as in a reconnect storm.
      for (let c = 0; c < 64; c++) {
        inFlight.push(
          (async () => {
            for (let i = c * 100; i < n; i += 64 * 100) {
              const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ mutation: openMutation(i + k), actor, workstationId: `bench-${c}` }));
              if (batch.length) await writer.submit(batch);
            }
          })(),
        );
      }
      await Promise.all(inFlight);
      return n / ((performance.now() - t0) / 1000);
    };
    const alone = await run();
    // 50 workstations listening on the realtime socket, each receiving every event.
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TENANT, login: 'arm1', password: 'arm1-password', workstationId: 'bench' }) });
    const { token } = (await res.json()) as { token: string };
    let received = 0;
    const clients = await Promise.all(
      Array.from({ length: sockets }, () => new Promise<WebSocket>((ok, fail) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
        ws.on('message', (d) => {
          const f = JSON.parse(d.toString()) as { type: string; events?: unknown[] };
          if (f.type === 'events') received += f.events!.length;
        });
        ws.once('open', () => ok(ws));
        ws.once('error', fail);
      })),
    );
    const withFanout = await run();
    await waitFor('fan-out delivered', () => received >= n * sockets, 120_000).catch(() => {});
    for (const c of clients) c.terminate();
    return { writer: alone, withFanout, raw };
  } finally {
    await server.close();
    await db.close();
    await drop();
  }
}

/**
 * Workstation children run on plain Node from a bundle (esbuild, packages left external): their
 * start-up and resident memory are a workstation's, not the TypeScript loader's (~90 MiB more).
 */
const bundles = new Map<string, Promise<string>>();
function childScript(name: string): Promise<string> {
  let p = bundles.get(name);
  if (!p) {
    const outfile = resolve(import.meta.dirname, '../../.bench-cache/children', name.replace(/\.ts$/, '.mjs'));
    p = build({
      entryPoints: [resolve(import.meta.dirname, name)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile,
      logLevel: 'warning',
    }).then(() => outfile);
    bundles.set(name, p);
  }
  return p;
}

/** PERMANENCE_BENCH_CPU_PROF=dir: child processes write V8 CPU profiles there (for finding where time goes). */
const cpuProfileArgs = () => (process.env.PERMANENCE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PERMANENCE_BENCH_CPU_PROF}`] : []);

/**
 * `warmupSeconds`: the writes of the run's first seconds are delivered and checked like the others
 * (a lost one fails the run) but timed apart: they pay each process's first statements, plans and
 * compiled code, once per workstation start, and would otherwise be ~1 % of the deliveries, the p99.
 */
export async function benchPropagation(options: { workstations: number; processes: number; writers: number; ratePerWriter: number; seconds: number; warmupSeconds: number; instances?: 1 | 2 }) {
  const { db, url: dbUrl, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', instance: { name: 'a' } });
  // A second instance on the same database: the second process's workstations are on it, and get
  // the writers' events through its fan-out (LISTEN/NOTIFY), not from the writer's process.
  const secondDb = options.instances === 2 ? await openPostgres(dbUrl!) : null;
  const second = secondDb ? await startServer({ db: secondDb, tokenSecret: TOKEN_SECRET, logLevel: 'silent', instance: { name: 'b' } }) : null;
  const urlOf = (p: number) => (second && p % 2 === 1 ? second.url : server.url);
  try {
    const per = Math.ceil(options.workstations / options.processes);
    const script = await childScript('propagation.child.ts');
    const children = Array.from({ length: options.processes }, (_, p) => {
      const writers = p === 0 ? options.writers : 0;
      const child = spawn(
        process.execPath,
        [...cpuProfileArgs(), script, urlOf(p), String(p * per), String(per), String(writers), String(options.ratePerWriter), String(options.seconds), join(tmpdir(), `permanence-prop-${process.pid}-${p}.json`)],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { child, output: () => out };
    });
    await waitFor('children ready', () => children.every((c) => c.output().includes('ready\n')), 180_000);
    for (const c of children) c.child.stdin.write('go\n');
    const results = await Promise.all(
      children.map(
        (c) =>
          new Promise<{ commits: [string, string, number][]; receipts: [string, string, number][]; stations: string[] }>((ok) =>
            c.child.on('exit', () => ok(JSON.parse(readFileSync(join(tmpdir(), `permanence-prop-${process.pid}-${children.indexOf(c)}.json`), 'utf8')))),
          ),
      ),
    );
    const commits = new Map(results.flatMap((r) => r.commits).map(([ws, id, t]) => [id, { ws, t }]));
    const stations = results.flatMap((r) => r.stations);
    const firstSeen = new Map<string, number>();
    for (const [ws, id, t] of results.flatMap((r) => r.receipts)) {
      const key = `${ws}:${id}`;
      if (commits.has(id) && !firstSeen.has(key)) firstSeen.set(key, t);
    }
    const latencies: number[] = [];
    const warmup: number[] = [];
    const warmUntil = Math.min(...[...commits.values()].map((c) => c.t)) + options.warmupSeconds * 1000;
    let lost = 0;
    for (const [id, c] of commits) {
      for (const ws of stations) {
        if (ws === c.ws) continue;
        const t = firstSeen.get(`${ws}:${id}`);
        if (t === undefined) {
          lost += 1;
          if (process.env.PERMANENCE_BENCH_DEBUG) console.error(`not seen: ${id.slice(-8)} from ${c.ws.slice(-6)} at ${c.t.toFixed(0)} on ${ws.slice(-6)}`);
        }
        else (c.t < warmUntil ? warmup : latencies).push(t - c.t);
      }
    }
    return {
      writes: commits.size,
      deliveries: latencies.length + warmup.length,
      lost,
      p50: median(latencies),
      p99: quantile(latencies, 0.99),
      warmupP99: quantile(warmup, 0.99),
    };
  } finally {
    await second?.close();
    await secondDb?.close();
    await server.close();
    await db.close();
    await drop();
  }
}

/**
 * The propagation's baseline: a bare WebSocket server (no database, no sync protocol) broadcasting
 * the same number of frames of an event's size, at the same rate, to as many sockets, all in this
 * process. What Permanence adds on top of it is the commit, the fan-out and the workstation's own
 * commit.
 */
export async function benchBareBroadcast(options: { sockets: number; frames: number; ratePerSecond: number; frameBytes: number; warmupSeconds: number }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((ok) => wss.once('listening', ok));
  const port = (wss.address() as { port: number }).port;
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const warmup: number[] = [];
  // The frames of the first seconds timed apart, as the propagation's writes.
  const warmupFrames = Math.round(options.warmupSeconds * options.ratePerSecond);
  const filler = 'x'.repeat(Math.max(0, options.frameBytes - 40));
  const clients = await Promise.all(
    Array.from(
      { length: options.sockets },
      () =>
        new Promise<WebSocket>((ok, fail) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`);
          ws.on('message', (d) => {
            const i = Number(JSON.parse(d.toString()).i);
            (i < warmupFrames ? warmup : latencies).push(performance.now() - sentAt[i]!);
          });
          ws.once('open', () => ok(ws));
          ws.once('error', fail);
        }),
    ),
  );
  try {
    await waitFor('every socket on the bare server', () => wss.clients.size >= options.sockets, 30_000);
    const gap = 1000 / options.ratePerSecond;
    const t0 = performance.now();
    for (let i = 0; i < options.frames; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt[i] = performance.now();
      const frame = JSON.stringify({ i, filler });
      for (const c of wss.clients) c.send(frame);
    }
    await waitFor('every bare frame received', () => latencies.length + warmup.length >= options.frames * options.sockets, 30_000).catch(() => {});
    return { deliveries: latencies.length + warmup.length, p50: median(latencies), p99: quantile(latencies, 0.99), warmupP99: quantile(warmup, 0.99) };
  } finally {
    for (const c of clients) c.terminate();
    await new Promise((ok) => wss.close(ok));
  }
}

export async function benchReconnectStorm(workstations: number, casesEach: number) {
  const { db, drop } = await freshDatabase('postgres');
  let server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  const port = server.port;
  const stations: Workstation[] = [];
  try {
    for (let i = 0; i < workstations; i++) stations.push(await openWorkstation(server.url, { login: `arm${(i % 3) + 1}` }));
    await waitFor('all online', () => stations.every((s) => s.core.syncStatus().connection === 'online'), 60_000);
    await server.close();
    for (const s of stations) for (let i = 0; i < casesEach; i++) await s.core.registry.call('case.open', { line: '116117' });
    const t0 = performance.now();
    server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', port });
    const writer = await server.writer(TENANT);
    await waitFor('all accepted', () => writer.lastSeq >= workstations * casesEach, 600_000);
    const accepted = (performance.now() - t0) / 1000;
    await waitFor('all converged', () => stations.every((s) => s.core.store.countPendingMutations() === 0 && s.core.store.syncState().cursorSeq === writer.lastSeq), 600_000);
    const converged = (performance.now() - t0) / 1000;
    const { rows } = await db.query<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM events');
    return { mutations: workstations * casesEach, accepted, converged, events: rows[0]!.n, distinct: rows[0]!.d };
  } finally {
    await Promise.all(stations.map((s) => s.close()));
    await server.close();
    await db.close();
    await drop();
  }
}

/** Server state of n closed cases, written straight into the projection (as the writer would). */
export async function fillCases(db: SqlDatabase, n: number): Promise<void> {
  const dr = { userId: 'cote-dor:dr1', displayName: 'DR 1', role: 'physician' as const };
  const t0 = Date.UTC(2016, 0, 1);
  for (let done = 0; done < n; done += 5000) {
    const rows: { id: string; data: string }[] = [];
    for (let i = done; i < Math.min(n, done + 5000); i++) {
      const at = t0 + i * 300_000;
      const id = uuidv7({ msecs: at });
      let s: RegulationCase | undefined;
      for (const [cmd, who] of [
        [{ type: 'open', line: '116117', fields: { callbackPhone: `+3361${String(i % 333_333).padStart(7, '0')}`, patient: { lastName: 'MARTIN', firstName: 'Jeanne', birthDate: '1950-03-02', sex: 'F' }, location: { inseeCode: '21231', communeName: 'Dijon', departmentCode: '21' }, reasonCode: 'FEVER', priority: 'P3' } }, actor],
        [{ type: 'send_to_regulation' }, actor],
        [{ type: 'take' }, dr],
        [{ type: 'decide', decision: { code: 'PHONE_ADVICE' } }, dr],
        [{ type: 'close' }, dr],
      ] as const) {
        const r = decide(s, cmd as never, { actor: who, workstationId: 'seed', eventId: s ? uuidv7({ msecs: at }) : id, caseId: id, now: at });
        if (!r.ok) throw new Error(r.error.message);
        s = applyEvent(s, { ...r.value, serverTime: at });
      }
      rows.push({ id, data: JSON.stringify(s) });
    }
    await db.query(`INSERT INTO cases (tenant, id, last_seq, status, data) SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[])`, [
      TENANT,
      rows.map((r) => r.id),
      rows.map(() => 0),
      rows.map(() => 'closed'),
      rows.map((r) => r.data),
    ]);
  }
  // As the server does when it starts (and autovacuum would do soon after such a load).
  await db.exec('ANALYZE cases');
}

export async function benchInitialSync(engine: Engine, cases: number, resumeEvents: number) {
  const { db, drop } = await freshDatabase(engine);
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  try {
    const tFill = performance.now();
    await fillCases(db, cases);
    const fillSeconds = (performance.now() - tFill) / 1000;
    // Baseline: the same rows read by keyset pages of 2,000 straight from the database.
    const tRaw = performance.now();
    let after = '00000000-0000-0000-0000-000000000000';
    let read = 0;
    for (;;) {
      const { rows } = await db.query<{ id: string; data: string }>('SELECT id, last_seq, data FROM cases WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT 2000', [TENANT, after]);
      if (rows.length === 0) break;
      for (const r of rows) JSON.parse(r.data);
      read += rows.length;
      after = rows[rows.length - 1]!.id;
    }
    const rawSeconds = (performance.now() - tRaw) / 1000;
    // The new workstation runs in its own process, so that its memory is its own.
    // Async: this process hosts the server the child talks to.
    type Child = { syncSeconds: number; syncCpuSeconds: number; rssMiB: number; memory: { heapMiB: number; externalMiB: number; arrayBuffersMiB: number }; syncedCases: number; resumeSeconds: number };
    const run = async (cache: 'encrypted' | 'clear', resume: number): Promise<Child> => {
      const { stdout: out } = await promisify(execFile)(process.execPath, [...cpuProfileArgs(), await childScript('initial-sync.child.ts'), server.url, String(resume), cache], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      return JSON.parse(out.trim().split('\n').pop()!) as Child;
    };
    // The encrypted cache first, then the same snapshot into a clear cache (the baseline): the
    // baseline gets the warmer server and the resume's extra cases, so the ratio is not flattered.
    const child = await run('encrypted', resumeEvents);
    const clear = await run('clear', 0);
    return { engine, cases, fillSeconds, rawSeconds, rawRows: read, ...child, clearSyncSeconds: clear.syncSeconds, clearRssMiB: clear.rssMiB };
  } finally {
    await server.close();
    await db.close();
    await drop();
  }
}

export { fmt };
