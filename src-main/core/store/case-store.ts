/**
 * Repositories for cases and their events in the workstation cache. A case row is only ever
 * written together with the event that changed it and the outbox row that will carry it to the
 * server, in one transaction.
 */
import type { Statement } from 'better-sqlite3';
import type { CaseStatus, CaseSummary, RegulationCase } from '../../../src-shared/schemas/case.js';
import type { Track } from '../../../src-shared/domain/codes.js';
import type { CaseEvent, CaseEventDraft } from '../../../src-shared/schemas/case-events.js';
import { searchKey } from '../../../src-shared/text/normalize.js';
import { summaryOf } from '../../../src-shared/domain/case-summary.js';
import type { Db } from './database.js';

const SUMMARY_COLUMNS = `id, reference, status, priority, track, opened_at, waiting_since, updated_at, callback_phone,
  patient_name, patient_sex, patient_birth_date, patient_age_years, commune_name, reason_code, taken_by_name, decision_code`;

/**
 * Summary rows are read as arrays (`.raw()`) and turned into objects here: an object literal of a
 * fixed shape is about twice as fast as better-sqlite3's row objects (measured: 500-case queue
 * 2.7 ms instead of 5.1 ms on the 1 M-case cache). Order = SUMMARY_COLUMNS.
 */
type SummaryRow = [string, string, string, string | null, string | null, number, number | null, number, string | null,
  string | null, string | null, string | null, number | null, string | null, string | null, string | null, string | null];
const toSummary = (r: SummaryRow): CaseSummary =>
  ({
    id: r[0],
    reference: r[1],
    status: r[2],
    priority: r[3],
    track: r[4],
    openedAt: r[5],
    waitingSince: r[6],
    updatedAt: r[7],
    callbackPhone: r[8],
    patientName: r[9],
    patientSex: r[10],
    patientBirthDate: r[11],
    patientAgeYears: r[12],
    communeName: r[13],
    reasonCode: r[14],
    takenByName: r[15],
    decisionCode: r[16],
  }) as CaseSummary;
const summaries = (rows: unknown[]): CaseSummary[] => (rows as SummaryRow[]).map(toSummary);

interface EventRow {
  local_seq: number;
  id: string;
  case_id: string;
  kind: string;
  payload: string;
  actor_user_id: string;
  actor_name: string;
  actor_role: string;
  workstation_id: string;
  client_time: number;
  server_seq: number | null;
}

/** Flat columns of the projection, in the order of the upsert statement. */
export function projectionRow(c: RegulationCase) {
  const s = summaryOf(c);
  return {
    id: s.id,
    reference: s.reference,
    status: s.status,
    priority: s.priority,
    track: s.track,
    opened_at: s.openedAt,
    waiting_since: s.waitingSince,
    updated_at: s.updatedAt,
    version: c.version,
    callback_phone: s.callbackPhone,
    patient_name: s.patientName,
    patient_name_key: s.patientName ? searchKey(s.patientName) : null,
    patient_sex: s.patientSex,
    patient_birth_date: s.patientBirthDate,
    patient_age_years: s.patientAgeYears,
    commune_name: s.communeName,
    reason_code: s.reasonCode,
    taken_by_name: s.takenByName,
    decision_code: s.decisionCode,
    data: JSON.stringify(c),
  };
}

const SQL = {
  getCase: 'SELECT data FROM cases WHERE id = ?',
  upsertCase: `INSERT INTO cases (id, reference, status, priority, track, opened_at, waiting_since, updated_at,
      version, callback_phone, patient_name, patient_name_key, patient_sex, patient_birth_date, patient_age_years,
      commune_name, reason_code, taken_by_name, decision_code, data)
    VALUES (@id, @reference, @status, @priority, @track, @opened_at, @waiting_since, @updated_at, @version,
      @callback_phone, @patient_name, @patient_name_key, @patient_sex, @patient_birth_date, @patient_age_years,
      @commune_name, @reason_code, @taken_by_name, @decision_code, @data)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority, track = excluded.track,
      waiting_since = excluded.waiting_since, updated_at = excluded.updated_at, version = excluded.version,
      callback_phone = excluded.callback_phone, patient_name = excluded.patient_name,
      patient_name_key = excluded.patient_name_key, patient_sex = excluded.patient_sex,
      patient_birth_date = excluded.patient_birth_date, patient_age_years = excluded.patient_age_years,
      commune_name = excluded.commune_name, reason_code = excluded.reason_code,
      taken_by_name = excluded.taken_by_name, decision_code = excluded.decision_code, data = excluded.data`,
  insertEvent: `INSERT INTO case_events (id, case_id, kind, payload, actor_user_id, actor_name, actor_role,
      workstation_id, client_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertOutbox: `INSERT INTO outbox (mutation_id, case_id, kind, payload, base_version, claimed_at) VALUES (?, ?, ?, ?, ?, ?)`,
  history: 'SELECT * FROM case_events WHERE case_id = ? ORDER BY local_seq',
  countCases: 'SELECT count(*) AS n FROM cases',
  countPending: `SELECT count(*) AS n FROM outbox WHERE status = 'pending'`,
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

/** Summary queries, read as arrays (see toSummary). */
const SUMMARY_SQL = {
  recent: `SELECT ${SUMMARY_COLUMNS} FROM cases ORDER BY updated_at DESC LIMIT ?`,
  byPhone: `SELECT ${SUMMARY_COLUMNS} FROM cases WHERE callback_phone = ? ORDER BY opened_at DESC LIMIT ?`,
  byName: `SELECT ${SUMMARY_COLUMNS} FROM cases WHERE patient_name_key >= ? AND patient_name_key < ? ORDER BY patient_name_key LIMIT ?`,
  queueAll: `SELECT ${SUMMARY_COLUMNS} FROM cases WHERE status = 'waiting_regulation' ORDER BY priority, waiting_since LIMIT ?`,
  queueTrack: `SELECT ${SUMMARY_COLUMNS} FROM cases WHERE status = 'waiting_regulation' AND track = ? ORDER BY priority, waiting_since LIMIT ?`,
} as const;

export class CaseStore {
  /** Statements are prepared on first use: opening the cache stays cheap. */
  private readonly prepared = new Map<string, Statement>();
  private readonly appendTx: (draft: CaseEventDraft, next: RegulationCase, baseVersion: number | null) => CaseEvent;

  constructor(private readonly db: Db) {
    this.appendTx = db.transaction((draft: CaseEventDraft, next: RegulationCase, baseVersion: number | null) => {
      // The case row first: the event references it.
      this.stmt('upsertCase').run(projectionRow(next));
      const info = this.stmt('insertEvent').run(
        draft.id,
        draft.caseId,
        draft.kind,
        JSON.stringify(draft.payload),
        draft.actor.userId,
        draft.actor.displayName,
        draft.actor.role,
        draft.workstationId,
        draft.clientTime,
      );
      this.stmt('insertOutbox').run(draft.id, draft.caseId, draft.kind, JSON.stringify(draft.payload), baseVersion, draft.clientTime);
      return { ...draft, localSeq: Number(info.lastInsertRowid), serverSeq: null } as CaseEvent;
    });
  }

  private stmt(name: keyof typeof SQL): Statement {
    let s = this.prepared.get(name);
    if (!s) this.prepared.set(name, (s = this.db.prepare(SQL[name])));
    return s;
  }
  private summaryStmt(name: keyof typeof SUMMARY_SQL): Statement {
    let s = this.prepared.get(name);
    if (!s) this.prepared.set(name, (s = this.db.prepare(SUMMARY_SQL[name]).raw()));
    return s;
  }

  getCase(id: string): RegulationCase | undefined {
    const row = this.stmt('getCase').get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as RegulationCase) : undefined;
  }

  /** Append a locally decided event, the new projection and the outbox row, atomically. */
  appendLocal(draft: CaseEventDraft, next: RegulationCase, baseVersion: number | null): CaseEvent {
    return this.appendTx(draft, next, baseVersion);
  }

  history(caseId: string): CaseEvent[] {
    return (this.stmt('history').all(caseId) as EventRow[]).map(
      (r) =>
        ({
          id: r.id,
          caseId: r.case_id,
          kind: r.kind,
          payload: JSON.parse(r.payload),
          actor: { userId: r.actor_user_id, displayName: r.actor_name, role: r.actor_role },
          workstationId: r.workstation_id,
          clientTime: r.client_time,
          localSeq: r.local_seq,
          serverSeq: r.server_seq,
        }) as CaseEvent,
    );
  }

  recent(limit: number, statuses?: readonly CaseStatus[]): CaseSummary[] {
    if (!statuses || statuses.length === 0) return summaries(this.summaryStmt('recent').all(limit));
    const placeholders = statuses.map(() => '?').join(', ');
    return summaries(
      this.db
        .prepare(`SELECT ${SUMMARY_COLUMNS} FROM cases WHERE status IN (${placeholders}) ORDER BY updated_at DESC LIMIT ?`)
        .raw()
        .all(...statuses, limit),
    );
  }

  /** Cases with this canonical callback phone, newest first. */
  findByPhone(canonicalPhone: string, limit: number): CaseSummary[] {
    return summaries(this.summaryStmt('byPhone').all(canonicalPhone, limit));
  }

  /** Cases whose patient name ("LASTNAME First") starts with this text, accents and case ignored. */
  findByNamePrefix(prefix: string, limit: number): CaseSummary[] {
    const key = searchKey(prefix);
    if (key === '') return [];
    // Keys hold only A–Z, 0–9 and spaces: '~' sorts after all of them.
    return summaries(this.summaryStmt('byName').all(key, key + '~', limit));
  }

  /** Waiting cases, most urgent first, then longest waiting first. */
  queue(limit: number, track?: Track): CaseSummary[] {
    return summaries(track ? this.summaryStmt('queueTrack').all(track, limit) : this.summaryStmt('queueAll').all(limit));
  }

  countCases(): number {
    return (this.stmt('countCases').get() as { n: number }).n;
  }
  countPendingMutations(): number {
    return (this.stmt('countPending').get() as { n: number }).n;
  }
  getMeta(key: string): string | undefined {
    return (this.stmt('getMeta').get(key) as { value: string } | undefined)?.value;
  }
  setMeta(key: string, value: string): void {
    this.stmt('setMeta').run(key, value);
  }
}
