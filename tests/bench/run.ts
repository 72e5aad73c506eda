/**
 * npm run bench          full benchmarks (1 M cases …), figures next to same-run baselines
 * npm run bench:smoke    the same code on small data, for CI: proves the benchmarks still run
 */
import { resolve } from 'node:path';
import { benchCache } from './cache.bench.js';

const smoke = process.argv.includes('--smoke');
const cacheRoot = resolve(process.env.PERMANENCE_BENCH_CACHE ?? '.bench-cache');
const t0 = performance.now();
const rows = await benchCache({ smoke, cacheRoot });
const missed = rows.filter((r) => r.ok === false);
console.log(`\nbenchmarks ${smoke ? '(smoke) ' : ''}done in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${missed.length} target(s) missed`);
