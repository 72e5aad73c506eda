/**
 * Workstation cache benchmark (issue 2): a cache of 1,000,000 cases and ~5,000,000 events.
 * Each figure is printed next to the raw better-sqlite3 query on the same file, measured in the
 * same run. Targets: phone lookup ≤ 2 ms median, queue of 500 ≤ 5 ms, cold open ≤ 300 ms,
 * overhead of our store over raw SQL ≤ 1.5×.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { buildCache, phoneOf } from './cache-fixture.js';
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
  console.log(`\n# Workstation cache: ${cases.toLocaleString('fr-FR')} cases`);
  const fx = buildCache(options.cacheRoot, cases, waiting);
  console.log(`  cache: ${fx.cases} cases, ${fx.events} events, in ${fx.dataDir}`);
  const file = join(fx.dataDir, 'permanence.sqlite');

  // Cold open: a fresh process each time (the OS file cache stays warm).
  // Seven in the smoke run too: a median of three moved past the 1.5× target on a busy machine (3 s more).
  const openRuns = 7;
  const coreOpen: number[] = [];
  const rawOpen: number[] = [];
  for (let i = 0; i < openRuns; i++) {
    rawOpen.push(coldOpenInChild('open-raw.child.ts', fx.dataDir));
    coreOpen.push(coldOpenInChild('open-core.child.ts', fx.dataDir));
  }

  const core = WorkstationCore.open({ dataDir: fx.dataDir });
  // The contract serves nothing with nobody logged in: a regulator is.
  await core.registry.call('session.login', { displayName: 'Banc Cache', role: 'arm', department: '21' });
  const raw = new Database(file, { readonly: true });
  const rawPhone = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE callback_phone = ? ORDER BY opened_at DESC LIMIT ?`);
  const rawName = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE patient_name_key >= ? AND patient_name_key < ? ORDER BY patient_name_key LIMIT ?`);
  const rawQueue = raw.prepare(`SELECT ${SUMMARY} FROM cases WHERE status = 'waiting_regulation' ORDER BY priority, waiting_since LIMIT ?`);

  const n = options.smoke ? 300 : 3000;
  const phones = Array.from({ length: n }, (_, i) => phoneOf((i * 7919) % cases));
  const prefixes = ['DUR', 'MART', 'MOREAU J', 'LEF', 'RO', 'BERNARD C'];
  // Warm both paths the same way.
  for (let i = 0; i < 200; i++) {
    core.store.findByPhone(phones[i % n]!, 20);
    rawPhone.all(phones[i % n]!, 20);
  }
  const [phoneRaw, phoneStore] = compareRuns(n, (i) => rawPhone.all(phones[i]!, 20), (i) => core.store.findByPhone(phones[i]!, 20));
  const phoneContract = await timeRunsAsync(n, async (i) => {
    const r = await core.registry.call('case.search', { phone: phones[i]!, limit: 20 });
    if (!r.ok) throw new Error(r.error.message);
  });
  const [nameRaw, nameStore] = compareRuns(
    n,
    (i) => {
      const k = prefixes[i % prefixes.length]!;
      return rawName.all(k, k + '~', 20);
    },
    (i) => core.store.findByNamePrefix(prefixes[i % prefixes.length]!, 20),
  );
  const qn = options.smoke ? 100 : 500;
  for (let i = 0; i < 20; i++) {
    core.store.queue(waiting);
    rawQueue.all(waiting);
  }
  const [queueRaw, queueStore] = compareRuns(qn, () => rawQueue.all(waiting), () => core.store.queue(waiting));
  const queueLength = core.store.queue(5000).length;
  if (queueLength !== waiting) throw new Error(`queue holds ${queueLength} cases, expected ${waiting}`);
  const hits = core.store.findByPhone(fx.samplePhones[0]!, 20).length;
  if (hits === 0) throw new Error('phone lookup found nothing');
  core.close();
  raw.close();

  const row = (what: string, s: number[], base: number[] | undefined, targetMs: number | undefined, targetText: string): Row => {
    const m = median(s);
    const b = base ? median(base) : undefined;
    const withinTarget = targetMs === undefined || m <= targetMs;
    const withinOverhead = b === undefined || m <= b * 1.5 || m - b < 0.02;
    return { what, median: m, p95: quantile(s, 0.95), ...(b ? { baseline: b } : {}), target: targetText, ok: withinTarget && withinOverhead };
  };
  const rows = [
    row('cold open of the cache (WorkstationCore.open, fresh process)', coreOpen, rawOpen, 300, '≤ 300 ms, ≤ 1.5× raw'),
    row('lookup by callback phone (store)', phoneStore, phoneRaw, 2, '≤ 2 ms, ≤ 1.5× raw'),
    row('lookup by callback phone (contract call, validated)', phoneContract, phoneRaw, 2, '≤ 2 ms'),
    row('lookup by patient name prefix (store)', nameStore, nameRaw, 2, '≤ 2 ms, ≤ 1.5× raw'),
    row(`waiting queue of ${waiting} cases (store)`, queueStore, queueRaw, 5, '≤ 5 ms, ≤ 1.5× raw'),
  ];
  // The contract call adds validation and a promise by design: judged on its absolute target only.
  rows[2]!.ok = rows[2]!.median <= 2;
  printTable(`Workstation cache — ${cases.toLocaleString('fr-FR')} cases, ${fx.events.toLocaleString('fr-FR')} events (${hits} hits per phone)`, rows);
  return rows;
}
