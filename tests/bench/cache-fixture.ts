/**
 * Builds a workstation cache of N cases with 5 events each (opened, screened, sent to regulation,
 * taken, decided/closed), through the domain's own decide/applyEvent so the data is what the app
 * writes. `waiting` cases stop after "sent to regulation" (the queue). Cached on disk by size and
 * generator version, so a rerun of the benchmark does not rebuild a million cases.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { PRIORITIES, REASON_CODES } from '../../src-shared/domain/codes.js';
import type { Actor, RegulationCase } from '../../src-shared/schemas/case.js';
import type { CaseCommand, CaseEventDraft } from '../../src-shared/schemas/case-events.js';
import { openDatabase } from '../../src-main/core/store/database.js';
import { CLEAR_BENCHMARK_FILE, KEY_FOLDER, LEGACY_CLEAR_FILE, openEncryptedCache } from '../../src-main/core/store/encrypted-cache.js';
import { FILE_MODE_ONLY, loadOrCreateCacheKey } from '../../src-main/core/store/cache-key.js';
import { PROJECTION_COLUMNS, projectionRow } from '../../src-main/core/store/case-store.js';

const GENERATOR_VERSION = 6;
const LAST_NAMES = ['MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT', 'SIMON', 'MICHEL', 'LEFEBVRE', 'LEROY', 'ROUX', 'DAVID', 'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD'];
const FIRST_NAMES = ['Jeanne', 'Louis', 'Marie', 'Paul', 'Camille', 'Lucas', 'Léa', 'Hugo', 'Chloé', 'Jules', 'Inès', 'Gabriel'];
const COMMUNES = [['21231', 'Dijon'], ['21054', 'Beaune'], ['21425', 'Montbard'], ['21278', 'Chenôve'], ['21617', 'Talant']] as const;

export interface CacheFixture {
  dataDir: string;
  cases: number;
  events: number;
  waiting: number;
  samplePhones: string[];
}

/**
 * The same cache encrypted, as a workstation holds it: built once from the clear one by the app's
 * own migration (copy, check, rename), next to it.
 */
export function encryptedCopy(fixture: CacheFixture, log = console.log): string {
  const dir = `${fixture.dataDir}-encrypted`;
  if (existsSync(join(dir, 'DONE'))) return dir;
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const t0 = performance.now();
  copyFileSync(join(fixture.dataDir, CLEAR_BENCHMARK_FILE), join(building, LEGACY_CLEAR_FILE));
  const key = loadOrCreateCacheKey(join(building, KEY_FOLDER), FILE_MODE_ONLY);
  openEncryptedCache(building, key).db.close();
  renameSync(building, dir);
  mkdirSync(join(dir, 'DONE'));
  log(`  encrypted copy of the cache made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

export function phoneOf(i: number): string {
  // ~3 cases per number: repeat callers, as in real traffic.
  return `+3361${String(i % Math.ceil(1_000_000 / 3)).padStart(7, '0')}`;
}

export function buildCache(root: string, cases: number, waiting: number, log = console.log): CacheFixture {
  const dataDir = join(root, `cache-v${GENERATOR_VERSION}-${cases}-${waiting}`);
  const fixture: CacheFixture = { dataDir, cases, events: 0, waiting, samplePhones: [phoneOf(7), phoneOf(cases - 11), phoneOf(cases >> 1)] };
  if (existsSync(join(dataDir, 'DONE'))) {
    fixture.events = cases * 5 - waiting * 2;
    return fixture;
  }
  rmSync(dataDir, { recursive: true, force: true });
  const building = dataDir + '.building';
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const db = openDatabase(join(building, CLEAR_BENCHMARK_FILE));
  db.pragma('synchronous = OFF');
  const upsert = db.prepare(`INSERT INTO cases (${PROJECTION_COLUMNS.join(', ')}) VALUES (${PROJECTION_COLUMNS.map(() => '?').join(', ')})`);
  const insertEvent = db.prepare(`INSERT INTO case_events (id, case_id, kind, payload, actor_user_id, actor_name, actor_role,
      workstation_id, client_time, server_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const arm: Actor = { userId: 'arm:bench', displayName: 'ARM Bench', role: 'arm' };
  const dr: Actor = { userId: 'physician:bench', displayName: 'Dr Bench', role: 'physician' };
  const start = Date.UTC(2016, 0, 1);
  const span = Date.UTC(2026, 10, 1) - start;
  let seq = 0;
  const t0 = performance.now();
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const isWaiting = i >= cases - waiting;
      let now = start + Math.floor((span * i) / cases);
      const caseId = uuidv7({ msecs: now });
      const [insee, commune] = COMMUNES[i % COMMUNES.length]!;
      const steps: [CaseCommand, Actor][] = [
        [{ type: 'open', line: '116117' }, arm],
        [
          {
            type: 'update_fields',
            baseVersion: 1,
            changes: {
              callbackPhone: phoneOf(i),
              patient: { lastName: LAST_NAMES[i % LAST_NAMES.length]!, firstName: FIRST_NAMES[(i >> 3) % FIRST_NAMES.length]!, birthDate: `${1930 + (i % 90)}-0${1 + (i % 9)}-1${i % 10}`, sex: i % 2 ? 'F' : 'M' },
              location: { inseeCode: insee, communeName: commune, departmentCode: '21' },
              reasonCode: REASON_CODES[i % REASON_CODES.length]!,
              reasonText: 'Appel de nuit, symptômes depuis la veille',
              priority: PRIORITIES[2 + (i % 2)]!,
            },
          },
          arm,
        ],
        [{ type: 'send_to_regulation' }, arm],
      ];
      if (!isWaiting) steps.push([{ type: 'take' }, dr], [{ type: 'decide', decision: { code: 'PHONE_ADVICE', comment: 'Conseils donnés' } }, dr]);
      let state: RegulationCase | undefined;
      const events: [CaseEventDraft, Actor][] = [];
      for (const [cmd, actor] of steps) {
        now += 30_000;
        const r = decide(state, cmd, { actor, workstationId: 'ws-bench', eventId: cmd.type === 'open' ? caseId : uuidv7({ msecs: now }), caseId, now });
        if (!r.ok) throw new Error(`fixture: ${r.error.message}`);
        state = applyEvent(state, r.value);
        events.push([r.value, actor]);
      }
      upsert.run(projectionRow(state!));
      for (const [e, actor] of events) {
        insertEvent.run(e.id, caseId, e.kind, JSON.stringify(e.payload), actor.userId, actor.displayName, actor.role, 'ws-bench', e.clientTime, ++seq);
      }
    }
  });
  const CHUNK = 10_000;
  for (let from = 0; from < cases; from += CHUNK) {
    batch(from, Math.min(cases, from + CHUNK));
    if ((from / CHUNK) % 20 === 19) log(`  … ${from + CHUNK} cases (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  fixture.events = seq;
  renameSync(building, dataDir);
  mkdirSync(join(dataDir, 'DONE'));
  log(`  built ${cases} cases and ${seq} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return fixture;
}
