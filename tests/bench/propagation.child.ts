/**
 * One process hosting several workstations (the propagation benchmark runs two of these).
 * argv: serverUrl, first index, count, writers (how many of them write), rate per writer, seconds.
 * Writes to outFile, as JSON: commit times of the cases written here and receive times of all others'.
 */
import { writeFileSync } from 'node:fs';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import { openWorkstation, waitFor, type Workstation } from '../fixtures/workstation.js';

const [url, firstArg, countArg, writersArg, rateArg, secondsArg, outFile] = process.argv.slice(2) as string[];
const first = Number(firstArg);
const count = Number(countArg);
const writers = Number(writersArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const wall = () => performance.timeOrigin + performance.now();

const stations: Workstation[] = [];
for (let i = first; i < first + count; i++) {
  const login = i < 3 ? `arm${i + 1}` : `dr${((i - 3) % 12) + 1}`;
  stations.push(await openWorkstation(url!, { login }, { lazyCommunes: true }));
}
await waitFor('online', () => stations.every((s) => s.core.syncStatus().connection === 'online'), 120_000);
const receipts: [string, string, number][] = [];
for (const s of stations) {
  s.core.subscribe((event, payload) => {
    if (event === 'sync.state' && process.env.PERMANENCE_BENCH_DEBUG) {
      const st = payload as { connection: string; lastError?: string };
      if (st.connection !== 'online') process.stderr.write(`[${s.core.workstationId.slice(-6)}] ${st.connection} ${st.lastError ?? ''} ${Math.round(performance.now())}\n`);
    }
    if (event !== 'cases.synced') return;
    const t = wall();
    for (const id of (payload as { caseIds: string[] }).caseIds) receipts.push([s.core.workstationId, id, t]);
  });
}
process.stdout.write('ready\n');
await new Promise<void>((r) => process.stdin.once('data', () => r()));

const commits: [string, string, number][] = [];
const end = performance.now() + seconds * 1000;
await Promise.all(
  stations.slice(0, writers).map(async (w) => {
    const interval = 1000 / rate;
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await w.core.registry.call('case.open', { line: '116117' });
      if (r.ok) commits.push([w.core.workstationId, (r.value as RegulationCase).id, wall()]);
      const wait = interval - (performance.now() - t0);
      if (wait > 0) await new Promise((x) => setTimeout(x, wait));
    }
  }),
);
// Every process stays until the end of the run, plus time for the last deliveries to land.
await new Promise((r) => setTimeout(r, Math.max(0, end - performance.now()) + 5_000));
if (process.env.PERMANENCE_BENCH_DEBUG) {
  // Which of the cases written elsewhere are in each station's store, even if no receipt was seen.
  const seen = new Set(receipts.map(([ws, id]) => `${ws}:${id}`));
  for (const s of stations) {
    const ids = s.core.store.recent(100_000).map((c) => c.id);
    const unseen = ids.filter((id) => !seen.has(`${s.core.workstationId}:${id}`) && !commits.some(([w, c]) => c === id && w === s.core.workstationId));
    process.stderr.write(`[${s.core.workstationId.slice(-6)}] ${ids.length} cases, ${unseen.length} stored without a receipt: ${unseen.slice(0, 5).map((x) => x.slice(-8)).join(' ')}\n`);
  }
}
await Promise.all(stations.map((s) => s.close()));
writeFileSync(outFile!, JSON.stringify({ commits, receipts, stations: stations.map((s) => s.core.workstationId) }));
process.exit(0);
