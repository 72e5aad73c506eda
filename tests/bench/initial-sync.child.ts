/**
 * A brand-new workstation: logs in, takes the snapshot of current cases, and reports time and
 * resident memory. Then another workstation writes `resume` events while this one is offline,
 * and this one catches up: the "back after a day" figure.
 */
import { openWorkstation, waitFor } from '../fixtures/workstation.js';

const [serverUrl, resumeArg, cacheArg] = process.argv.slice(2) as [string, string, string | undefined];
// 'clear': the baseline of the encrypted cache (same data, same code, no encryption).
const clearCacheForBenchmarks = cacheArg === 'clear';
const resume = Number(resumeArg);
let peak = 0;
let atPeak = process.memoryUsage();
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peak) [peak, atPeak] = [m.rss, m];
}, 50);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
// The section measures the sync of every case: this workstation keeps them all (a real one purges
// closed cases past its retention once the snapshot is complete).
const w = await openWorkstation(serverUrl, { login: 'dr1' }, { lazyCommunes: true, clearCacheForBenchmarks, cacheRetentionDays: 100_000 });
await waitFor('snapshot', () => w.core.store.syncState().snapshotComplete && w.core.syncStatus().connection === 'online', 600_000);
const syncSeconds = (performance.now() - t0) / 1000;
// Processor time of the whole process (its checkpoint thread included): steadier than the wall
// clock on a shared machine, to compare two versions.
const cpu = process.cpuUsage(cpu0);
const syncCpuSeconds = (cpu.user + cpu.system) / 1e6;
const cases = w.core.store.countCases();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);

// A day of activity elsewhere while this workstation is off.
const dataDir = w.dataDir;
await w.core.close();
const other = await openWorkstation(serverUrl, { login: 'arm1' }, { lazyCommunes: true });
for (let i = 0; i < resume; i++) {
  await other.core.registry.call('case.open', { line: '116117' });
}
await waitFor('pushed', () => other.core.store.countPendingMutations() === 0, 600_000);
const head = other.core.store.syncState().cursorSeq;
await other.close();
const t1 = performance.now();
const back = await openWorkstation(serverUrl, { login: 'dr1' }, { dataDir, lazyCommunes: true, clearCacheForBenchmarks, cacheRetentionDays: 100_000 });
await waitFor('caught up', () => back.core.store.syncState().cursorSeq >= head, 600_000);
const resumeSeconds = (performance.now() - t1) / 1000;
await back.close();
const mib = (n: number) => Math.round(n / 2 ** 20);
const memory = { heapMiB: mib(atPeak.heapTotal), externalMiB: mib(atPeak.external), arrayBuffersMiB: mib(atPeak.arrayBuffers) };
console.log(JSON.stringify({ syncSeconds, syncCpuSeconds, rssMiB: peak / 2 ** 20, memory, syncedCases: cases, resumeSeconds }));
process.exit(0);
