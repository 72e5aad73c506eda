/**
 * Workstation cache benchmark (issues 2 and 19): a cache of 1,000,000 cases and ~5,000,000 events,
 * encrypted as workstations hold it, each figure next to the same data in clear measured in the
 * same run. Targets: phone lookup through the contract ≤ 2 ms and ≤ 1.3× the clear cache, queue of
 * 500 ≤ 5 ms, cold open (key included) ≤ 300 ms, our store over raw SQL ≤ 1.5×.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { buildCache, encryptedCopy, phoneOf } from './cache-fixture.js';
import { CLEAR_BENCHMARK_FILE } from '../../src-main/core/store/encrypted-cache.js';
import { compareRuns, median, printTable, quantile, timeRunsAsync, type Row } from './stats.js';

const SUMMARY = `id, reference, status, priority, track, opened_at AS openedAt, waiting_since AS waitingSince,
  updated_at AS updatedAt, callback_phone AS callbackPhone, patient_name AS patientName, patient_sex AS patientSex,
  patient_birth_date AS patientBirthDate, patient_age_years AS patientAgeYears, commune_name AS communeName,
  reason_code AS reasonCode, taken_by_name AS takenByName, decision_code AS decisionCode, sector_id AS sectorId`;

function coldOpenInChild(script: string, dataDir: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, script), dataDir], { encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

export async function benchCache(options: { smoke: boolean; cacheRoot: string }): Promise<Row[]> {
  const cases = options.smoke ? 20_000 : 1_000_000;
  const waiting = 500;
  console.log(`\n# Workstation cache: ${cases.toLocaleString('fr-FR')} cases, encrypted, next to the same data in clear`);
  const fx = buildCache(options.cacheRoot, cases, waiting);
  const encryptedDir = encryptedCopy(fx);
  console.log(`  cache: ${fx.cases} cases, ${fx.events} events, in ${fx.dataDir} (clear) and ${encryptedDir}`);
  const file = join(fx.dataDir, CLEAR_BENCHMARK_FILE);

  // Cold open: a fresh process each time (the OS file cache stays warm). The core opens the
  // encrypted cache (its key file read and the key applied included); the baseline is
  // better-sqlite3 alone on the clear file.
  // Seven in the smoke run too: a median of three moved past the 1.5× target on a busy machine (3 s more).
  const openRuns = 7;
  const coreOpen: number[] = [];
  const rawOpen: number[] = [];
  for (let i = 0; i < openRuns; i++) {
    rawOpen.push(coldOpenInChild('open-raw.child.ts', fx.dataDir));
    coreOpen.push(coldOpenInChild('open-core.child.ts', encryptedDir));
  }

  const core = WorkstationCore.open({ dataDir: encryptedDir });
  const clearCore = WorkstationCore.open({ dataDir: fx.dataDir, clearCacheForBenchmarks: true });
  // The contract serves nothing with nobody logged in: a regulator is.
  for (const c of [core, clearCore]) await c.registry.call('session.login', { displayName: 'Banc Cache', role: 'arm', department: '21' });
  const raw = new Database(file, { readonly: true });
  const rawPhone = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE callback_phone = ? ORDER BY opened_at DESC LIMIT ?`);
  const rawName = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE patient_name_key >= ? AND patient_name_key < ? ORDER BY patient_name_key LIMIT ?`);
  const rawQueue = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE status = 'waiting_regulation' ORDER BY priority, waiting_since LIMIT ?`);

  const n = options.smoke ? 300 : 3000;
  const phones = Array.from({ length: n }, (_, i) => phoneOf((i * 7919) % cases));
  const prefixes = ['DUR', 'MART', 'MOREAU J', 'LEF', 'RO', 'BERNARD C'];
  // Warm every path the same way: each looks up every phone once before it is timed (a hot
  // lookup: the pages it needs are in its page cache, decrypted once).
  for (let i = 0; i < n; i++) {
    core.store.findByPhone(phones[i]!, 20);
    clearCore.store.findByPhone(phones[i]!, 20);
    rawPhone.all(phones[i]!, 20);
  }
  const [phoneRaw, phoneStore] = compareRuns(n, (i) => rawPhone.all(phones[i]!, 20), (i) => clearCore.store.findByPhone(phones[i]!, 20));
  const search = (c: WorkstationCore) => async (i: number) => {
    const r = await c.registry.call('case.search', { phone: phones[i]!, limit: 20 });
    if (!r.ok) throw new Error(r.error.message);
  };
  // Interleaved halves so that neither side gets the warmer machine.
  const phoneContractClear = [...(await timeRunsAsync(n / 2, search(clearCore)))];
  const phoneContract = [...(await timeRunsAsync(n / 2, search(core)))];
  phoneContractClear.push(...(await timeRunsAsync(n / 2, (i) => search(clearCore)(i + n / 2))));
  phoneContract.push(...(await timeRunsAsync(n / 2, (i) => search(core)(i + n / 2))));
  const [nameClear, nameEncrypted] = compareRuns(
    n,
    (i) => clearCore.store.findByNamePrefix(prefixes[i % prefixes.length]!, 20),
    (i) => core.store.findByNamePrefix(prefixes[i % prefixes.length]!, 20),
  );
  const [nameRaw] = compareRuns(n, (i) => {
    const k = prefixes[i % prefixes.length]!;
    return rawName.all(k, k + '~', 20);
  }, () => undefined);
  const qn = options.smoke ? 100 : 500;
  for (let i = 0; i < 20; i++) {
    core.store.queue(waiting);
    clearCore.store.queue(waiting);
    rawQueue.all(waiting);
  }
  const [queueClear, queueEncrypted] = compareRuns(qn, () => clearCore.store.queue(waiting), () => core.store.queue(waiting));
  const [queueRaw] = compareRuns(qn, () => rawQueue.all(waiting), () => undefined);
  for (const c of [core, clearCore]) {
    const queueLength = c.store.queue(5000).length;
    if (queueLength !== waiting) throw new Error(`queue holds ${queueLength} cases, expected ${waiting}`);
  }
  const hits = core.store.findByPhone(fx.samplePhones[0]!, 20).length;
  if (hits === 0 || hits !== clearCore.store.findByPhone(fx.samplePhones[0]!, 20).length) throw new Error('phone lookup: the encrypted cache does not find what the clear one does');
  if (core.store.countCases() !== cases) throw new Error(`encrypted cache holds ${core.store.countCases()} cases, expected ${cases}`);
  await core.close();
  await clearCore.close();
  raw.close();

  const row = (what: string, s: number[], base: number[] | undefined, targetMs: number | undefined, ratio: number, targetText: string): Row => {
    const m = median(s);
    const b = base ? median(base) : undefined;
    const withinTarget = targetMs === undefined || m <= targetMs;
    const withinOverhead = b === undefined || m <= b * ratio || m - b < 0.02;
    return { what, median: m, p95: quantile(s, 0.95), ...(b ? { baseline: b } : {}), target: targetText, ok: withinTarget && withinOverhead };
  };
  const rows = [
    row('cold open of the encrypted cache (WorkstationCore.open, key included, fresh process) vs raw clear open', coreOpen, rawOpen, 300, Infinity, '≤ 300 ms'),
    row('lookup by callback phone (store, clear) vs raw SQL', phoneStore, phoneRaw, 2, 1.5, '≤ 2 ms, ≤ 1.5× raw'),
    row('lookup by callback phone (contract call, encrypted) vs the same on the clear cache', phoneContract, phoneContractClear, 2, 1.3, '≤ 2 ms, ≤ 1.3× clear'),
    row('lookup by patient name prefix (store, encrypted) vs the same on the clear cache', nameEncrypted, nameClear, 2, 1.3, '≤ 2 ms, ≤ 1.3× clear'),
    row(`waiting queue of ${waiting} cases (store, encrypted) vs the same on the clear cache`, queueEncrypted, queueClear, 5, 1.3, '≤ 5 ms, ≤ 1.3× clear'),
  ];
  console.log(`  raw SQL on the clear file, for reference: name prefix ${median(nameRaw).toFixed(3)} ms, queue ${median(queueRaw).toFixed(3)} ms`);
  printTable(`Workstation cache — ${cases.toLocaleString('fr-FR')} cases, ${fx.events.toLocaleString('fr-FR')} events (${hits} hits per phone)`, rows);
  return rows;
}
