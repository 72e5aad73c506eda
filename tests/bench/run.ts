/**
 * npm run bench          full benchmarks, figures next to same-run baselines
 * npm run bench:smoke    the same code on small data, for CI: proves the benchmarks still run
 *   --only cache|sync|ui|sip|sip-load|stats|effectors|hubsante one section; or one part of sync: writer|propagation|storm|initial-sync
 * PERMANENCE_BENCH_CPU_PROF=dir writes V8 CPU profiles of the propagation children there;
 * PERMANENCE_BENCH_DEBUG=1 says which deliveries were not seen, and where.
 */
import { resolve } from 'node:path';
import { benchCache } from './cache.bench.js';
import { benchUi } from './ui.bench.js';
import { benchSip } from './sip.bench.js';
import { benchSipLoad } from './sip-load.bench.js';
import { benchStatistics } from './stats.bench.js';
import { benchEffectors } from './effectors.bench.js';
import { benchHubSante } from './hubsante.bench.js';
import { benchInitialSync, benchPropagation, benchReconnectStorm, benchWriter, fmt } from './sync.bench.js';

const smoke = process.argv.includes('--smoke');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const cacheRoot = resolve(process.env.PERMANENCE_BENCH_CACHE ?? '.bench-cache');
const t0 = performance.now();
let missed = 0;
const verdict = (ok: boolean) => {
  if (!ok) missed += 1;
  return ok ? 'ok' : 'MISSED';
};

if (!only || only === 'cache') {
  const rows = await benchCache({ smoke, cacheRoot });
  missed += rows.filter((r) => r.ok === false).length;
}

if (!only || only === 'ui') {
  if (!(await benchUi({ smoke }))) missed += 1;
}

if (!only || only === 'sip') {
  if (!(await benchSip({ smoke }))) missed += 1;
}

if (!only || only === 'sip' || only === 'sip-load') {
  if (!(await benchSipLoad({ smoke }))) missed += 1;
}

if (!only || only === 'stats') {
  if (!(await benchStatistics({ smoke }))) missed += 1;
}

if (!only || only === 'effectors') {
  if (!(await benchEffectors({ smoke }))) missed += 1;
}

if (!only || only === 'hubsante') {
  if (!(await benchHubSante({ smoke }))) missed += 1;
}

const sync = (part: string) => !only || only === 'sync' || only === part;
if (sync('writer')) {
  const n = smoke ? 2_000 : 50_000;
  const sockets = smoke ? 5 : 50;
  console.log(`\n# Sync: writer throughput (${n.toLocaleString('fr-FR')} mutations, fan-out to ${sockets} sockets)`);
  console.log('| engine | writer alone | with fan-out | raw batched INSERT (same driver) | targets | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const engine of ['postgres', 'pglite'] as const) {
    const r = await benchWriter(engine, n, sockets);
    const ok = engine === 'pglite' || smoke ? true : r.writer >= 10_000 && r.withFanout >= 2_000;
    console.log(`| ${engine} | ${Math.round(r.writer)}/s | ${Math.round(r.withFanout)}/s | ${Math.round(r.raw)} rows/s | ≥ 10,000/s alone, ≥ 2,000/s fan-out (PostgreSQL) | ${verdict(ok)} |`);
  }
}

if (sync('propagation')) {
  const p = smoke
    ? await benchPropagation({ workstations: 4, processes: 2, writers: 2, ratePerWriter: 10, seconds: 3 })
    : await benchPropagation({ workstations: 50, processes: 2, writers: 5, ratePerWriter: 10, seconds: 20 });
  console.log(`\n# Sync: propagation, local commit → every other workstation's local commit`);
  console.log('| workstations | writes | deliveries | not seen within 5 s of the end | p50 | p99 | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| ${smoke ? 4 : 50} (2 processes) | ${p.writes} | ${p.deliveries} | ${p.lost} | ${fmt(p.p50)} | ${fmt(p.p99)} | p50 ≤ 10 ms, p99 ≤ 50 ms | ${verdict(smoke || (p.p50 <= 10 && p.p99 <= 50 && p.lost === 0))} |`,
  );
}

if (sync('storm')) {
  const s = smoke ? await benchReconnectStorm(5, 20) : await benchReconnectStorm(50, 200);
  console.log(`\n# Sync: reconnect storm`);
  console.log(`| workstations × offline cases | accepted in | all converged in | events | distinct |`);
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| ${smoke ? '5 × 20' : '50 × 200'} | ${s.accepted.toFixed(1)} s | ${s.converged.toFixed(1)} s | ${s.events} | ${s.distinct} |`);
  if (s.events !== s.mutations || s.distinct !== s.mutations) missed += 1;
}

if (sync('initial-sync')) {
  console.log(`\n# Sync: initial sync of a new workstation, then resume after a day offline`);
  console.log('| engine | cases | snapshot → ready | peak RSS (workstation process) | raw keyset read | resume (events) | targets | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [engine, cases] of (smoke ? [['postgres', 5_000]] : [['postgres', 1_000_000], ['pglite', 100_000]]) as ['postgres' | 'pglite', number][]) {
    const resume = smoke ? 200 : 7_000;
    const r = await benchInitialSync(engine, cases, resume);
    const ok = smoke || cases < 1_000_000 ? r.resumeSeconds <= 2 : r.syncSeconds <= 40 && r.rssMiB <= 300 && r.resumeSeconds <= 2;
    console.log(
      `| ${engine} | ${r.syncedCases.toLocaleString('fr-FR')} | ${r.syncSeconds.toFixed(1)} s | ${r.rssMiB.toFixed(0)} MiB | ${r.rawSeconds.toFixed(1)} s | ${r.resumeSeconds.toFixed(2)} s (${resume}) | ≤ 40 s, ≤ 300 MiB for 1 M; resume ≤ 2 s | ${verdict(ok)} |`,
    );
  }
}

console.log(`\nbenchmarks ${smoke ? '(smoke) ' : ''}done in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${missed} target(s) missed`);
// Something the benchmarks opened may still hold the event loop (a CI run hung here once after
// printing the line above): say what, then end the run anyway.
const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
if (open.length) console.log(`(still open at the end: ${open.join(', ')})`);
process.exit(0);
