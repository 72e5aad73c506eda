/**
 * The single writer of one tenant (department). Mutations from every workstation of the tenant
 * queue here; the writer drains them in batches, decides each one against the current state with
 * the shared domain rules, and commits the batch in ONE transaction: events with the next gapless
 * sequence numbers, every verdict under its mutation id, the case projection, the tenant's head.
 * Only after the commit are verdicts answered and events fanned out. Sequence order is therefore
 * commit order, and a reader using `seq > cursor` can never skip a late commit.
 */
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { caseFactOf, type CaseFact } from '../../src-shared/domain/statistics.js';
import type { AppError } from '../../src-shared/domain/result.js';
import type { Actor, RegulationCase } from '../../src-shared/schemas/case.js';
import type { Mutation, ServerEvent, Verdict } from '../../src-shared/sync-protocol/messages.js';
import type { Queryable, SqlDatabase } from '../db/sql.js';

export interface Submission {
  mutation: Mutation;
  actor: Actor;
  workstationId: string;
  /** Set by the Hub link: the partner's message this mutation integrates (for the outbox rule). */
  hubMessage?: unknown;
}

interface Pending extends Submission {
  resolve: (v: Verdict) => void;
  reject: (e: unknown) => void;
}

interface CachedCase {
  state: RegulationCase;
  lastSeq: number;
}

/** A message to the Hub Santé, written in the same transaction as the case change that causes it. */
export interface OutboxRow {
  distributionId: string;
  recipient: string;
  kind: string;
  useCase: string;
  label: string;
  caseId: string | null;
  hubCaseId: string | null;
  /** JSON of the case's link to the partner (for the delivery steps). */
  link: string | null;
  /** The whole message (EDXL-DE envelope), verbatim. */
  body: string;
  createdAt: number;
  expiresAt: number;
  /** `invalid`: our own message failed the schemas; kept with the reason, never published. */
  state: 'pending' | 'invalid';
  errorCause: string | null;
  /** The partner's message this one answers (RC-REF, RS-ERROR). */
  answers: string | null;
}

/** What a decided mutation sends over the Hub (an accepted event, or a partner's message we refuse). */
export interface OutboxContext {
  submission: Submission;
  verdict: Verdict;
  event?: ServerEvent;
  before?: RegulationCase;
  after?: RegulationCase;
  now: number;
}

export interface WriterOptions {
  /** Messages to the Hub Santé a decided mutation causes, committed with it (the outbox). */
  outbox?: (ctx: OutboxContext) => OutboxRow[];
  /** Called after each commit that wrote outbox rows. */
  onOutbox?: (rows: OutboxRow[]) => void;
  /** Mutations that follow from outbox rows and belong in the same commit (the case learns its message is on its way). */
  followUps?: (rows: OutboxRow[], cause: Submission) => Submission[];
  maxBatch?: number;
  /** Cases kept in memory (the writer is the only one writing them, so the cache is exact). */
  maxCachedCases?: number;
  now?: () => number;
  /** Called after each committed batch with its accepted events, in sequence order. */
  onCommitted?: (events: ServerEvent[]) => void;
  /** Refuse new submissions beyond this queue length (the client retries later). */
  maxQueue?: number;
}

export class WriterOverloadedError extends Error {}

export class TenantWriter {
  private queue: Pending[] = [];
  private draining = false;
  private readonly cache = new Map<string, CachedCase>();
  private readonly maxBatch: number;
  private readonly maxCached: number;
  private readonly now: () => number;
  private readonly maxQueue: number;
  committedBatches = 0;

  private constructor(
    private readonly db: SqlDatabase,
    readonly tenant: string,
    public lastSeq: number,
    public epoch: string,
    private readonly options: WriterOptions,
  ) {
    // Large batches amortise the round trips to PostgreSQL (measured: 500 → 6.6 k/s, 5,000 → 10.6 k/s);
    // at normal load a batch is just what is queued, so latency does not grow.
    this.maxBatch = options.maxBatch ?? 5000;
    this.maxCached = options.maxCachedCases ?? 50_000;
    this.now = options.now ?? Date.now;
    this.maxQueue = options.maxQueue ?? 50_000;
  }

  static async open(db: SqlDatabase, tenant: string, options: WriterOptions = {}): Promise<TenantWriter> {
    const { rows } = await db.query<{ last_seq: number; epoch: string }>('SELECT last_seq, epoch FROM tenants WHERE id = $1', [tenant]);
    const row = rows[0];
    if (!row) throw new Error(`unknown tenant ${tenant}`);
    return new TenantWriter(db, tenant, Number(row.last_seq), row.epoch, options);
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Queue mutations (in the order given) and resolve with their verdicts once committed. */
  submit(submissions: Submission[]): Promise<Verdict[]> {
    if (this.queue.length + submissions.length > this.maxQueue) {
      return Promise.reject(new WriterOverloadedError('writer queue full'));
    }
    const promises = submissions.map(
      (s) => new Promise<Verdict>((resolve, reject) => this.queue.push({ ...s, resolve, reject })),
    );
    void this.drain();
    return Promise.all(promises);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.commit(batch);
        } catch (error) {
          for (const p of batch) p.reject(error);
          // The commit may have happened with its answer lost: trust the database, not memory.
          await this.resync().catch(() => {});
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async resync(): Promise<void> {
    this.cache.clear();
    const { rows } = await this.db.query<{ last_seq: number; epoch: string }>('SELECT last_seq, epoch FROM tenants WHERE id = $1', [this.tenant]);
    if (rows[0]) {
      this.lastSeq = Number(rows[0].last_seq);
      this.epoch = rows[0].epoch;
    }
  }

  private async loadCases(q: Queryable, ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cache.has(id));
    if (missing.length === 0) return;
    const { rows } = await q.query<{ id: string; last_seq: number; data: string }>(
      'SELECT id, last_seq, data FROM cases WHERE tenant = $1 AND id = ANY($2::uuid[])',
      [this.tenant, missing],
      'writer-load-cases',
    );
    for (const r of rows) this.remember(r.id, { state: JSON.parse(r.data) as RegulationCase, lastSeq: Number(r.last_seq) });
  }

  private remember(id: string, c: CachedCase): void {
    this.cache.delete(id);
    this.cache.set(id, c);
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const now = this.now();
    const ids = batch.map((p) => p.mutation.id);
    // Verdicts already given (a duplicate push, a retry after a lost answer): answer them again.
    // Read both at once: two round trips in parallel instead of one after the other.
    const [{ rows: known }] = await Promise.all([this.db.query<{ mutation_id: string; status: 'accepted' | 'rejected'; seq: number | null; error: string | null }>(
      'SELECT mutation_id, status, seq, error FROM mutation_results WHERE tenant = $1 AND mutation_id = ANY($2::uuid[])',
      [this.tenant, ids],
      'writer-known-verdicts',
    ), this.loadCases(this.db, batch.map((p) => p.mutation.caseId))]);
    const verdicts = new Map<string, Verdict>();
    for (const k of known) {
      verdicts.set(k.mutation_id, {
        id: k.mutation_id,
        status: k.status,
        ...(k.seq !== null ? { seq: Number(k.seq) } : {}),
        ...(k.error ? { error: JSON.parse(k.error) as AppError } : {}),
      });
    }

    // Decide on working copies; the cache changes only once the transaction committed.
    const working = new Map<string, CachedCase>();
    const events: ServerEvent[] = [];
    const fresh: Verdict[] = [];
    const outbox: OutboxRow[] = [];
    const derive = this.options.outbox;
    let seq = this.lastSeq;
    const workstationOf = new Map<string, string>();
    const apply = (p: Submission): void => {
      const m = p.mutation;
      if (verdicts.has(m.id)) return;
      const current = working.get(m.caseId) ?? this.cache.get(m.caseId);
      const decided = decide(current?.state, m.command, {
        actor: p.actor,
        workstationId: p.workstationId,
        eventId: m.id,
        caseId: m.caseId,
        now,
        clientTime: m.clientTime,
      });
      let verdict: Verdict;
      let rows: OutboxRow[] = [];
      if (decided.ok) {
        seq += 1;
        const event = { ...decided.value, localSeq: null, serverSeq: seq, serverTime: now } as ServerEvent;
        const after = applyEvent(current?.state, event);
        working.set(m.caseId, { state: after, lastSeq: seq });
        events.push(event);
        verdict = { id: m.id, status: 'accepted', seq };
        if (derive) rows = derive({ submission: p, verdict, event, ...(current ? { before: current.state } : {}), after, now });
      } else {
        verdict = { id: m.id, status: 'rejected', error: decided.error };
        if (derive) rows = derive({ submission: p, verdict, ...(current ? { before: current.state } : {}), now });
      }
      verdicts.set(m.id, verdict);
      workstationOf.set(m.id, p.workstationId);
      fresh.push(verdict);
      outbox.push(...rows);
      // What the outbox rows say about the case (the message is on its way) is part of the same commit.
      if (rows.length && verdict.status === 'accepted') for (const f of this.options.followUps?.(rows, p) ?? []) apply(f);
    };
    for (const p of batch) apply(p);

    if (fresh.length > 0) {
      // One statement, so one round trip: data-modifying CTEs commit together or not at all.
      const cases = [...working.entries()];
      // A case's facts (statistics) are written only when they changed: a note or a field edit
      // leaves them as they were, and the commit stays four inserts for a new case.
      const facts = cases.flatMap(([id, c]) => {
        const fact = caseFactOf(c.state);
        const before = this.cache.get(id);
        return before && sameFact(caseFactOf(before.state), fact) ? [] : [[id, fact] as const];
      });
      await this.db.query(
        `WITH new_events AS (
           INSERT INTO events (tenant, seq, id, case_id, kind, payload, actor_user, actor_name, actor_role, workstation, client_time, server_time)
           SELECT $1, * FROM unnest($2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::bigint[], $12::bigint[])
           RETURNING 1),
         new_cases AS (
           INSERT INTO cases (tenant, id, last_seq, status, data)
           SELECT $1, * FROM unnest($13::uuid[], $14::bigint[], $15::text[], $16::text[])
           ON CONFLICT (tenant, id) DO UPDATE SET last_seq = EXCLUDED.last_seq, status = EXCLUDED.status, data = EXCLUDED.data
           RETURNING 1),
         new_facts AS (
           INSERT INTO case_facts (tenant, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at)
           SELECT $1, * FROM unnest($25::uuid[], $26::bigint[], $27::text[], $28::text[], $29::text[], $30::bigint[], $31::text[], $32::text[], $33::int[], $34::bigint[])
           ON CONFLICT (tenant, case_id) DO UPDATE SET opened_at = EXCLUDED.opened_at, priority = EXCLUDED.priority, sector_id = EXCLUDED.sector_id,
             decision = EXCLUDED.decision, first_decided_at = EXCLUDED.first_decided_at, decided_by = EXCLUDED.decided_by,
             decided_by_name = EXCLUDED.decided_by_name, reopen_count = EXCLUDED.reopen_count, first_answered_at = EXCLUDED.first_answered_at
           RETURNING 1),
         head AS (UPDATE tenants SET last_seq = $17 WHERE id = $1 AND $18::int > 0 RETURNING 1),
         verdicts AS (
           INSERT INTO mutation_results (tenant, mutation_id, workstation, status, seq, error, decided_at)
           SELECT $1, * FROM unnest($19::uuid[], $20::text[], $21::text[], $22::bigint[], $23::text[], $24::bigint[])
           ON CONFLICT DO NOTHING
           RETURNING 1),
         new_outbox AS (
           INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, case_id, hub_case_id, link, body, created_at, expires_at, state, error_cause, answers)
           SELECT $1, * FROM unnest($35::text[], $36::text[], $37::text[], $38::text[], $39::text[], $40::uuid[], $41::text[], $42::text[], $43::text[],
             $44::bigint[], $45::bigint[], $46::text[], $47::text[], $48::text[])
           ON CONFLICT (tenant, distribution_id) DO NOTHING
           RETURNING 1)
         SELECT (SELECT count(*) FROM new_events) AS events, (SELECT count(*) FROM verdicts) AS verdicts, (SELECT count(*) FROM new_cases) AS cases,
           (SELECT count(*) FROM new_facts) AS facts, (SELECT count(*) FROM new_outbox) AS outbox`,
        [
          this.tenant,
          events.map((e) => e.serverSeq),
          events.map((e) => e.id),
          events.map((e) => e.caseId),
          events.map((e) => e.kind),
          events.map((e) => JSON.stringify(e.payload)),
          events.map((e) => e.actor.userId),
          events.map((e) => e.actor.displayName),
          events.map((e) => e.actor.role),
          events.map((e) => e.workstationId),
          events.map((e) => e.clientTime),
          events.map((e) => e.serverTime),
          cases.map(([id]) => id),
          cases.map(([, c]) => c.lastSeq),
          cases.map(([, c]) => c.state.status),
          cases.map(([, c]) => JSON.stringify(c.state)),
          seq,
          events.length,
          fresh.map((v) => v.id),
          fresh.map((v) => workstationOf.get(v.id)!),
          fresh.map((v) => v.status),
          fresh.map((v) => v.seq ?? null),
          fresh.map((v) => (v.error ? JSON.stringify(v.error) : null)),
          fresh.map(() => now),
          facts.map(([id]) => id),
          ...factColumns(facts.map(([, f]) => f)),
          ...outboxColumns(outbox),
        ],
        'writer-commit',
      );
    }
    this.lastSeq = seq;
    for (const [id, c] of working) this.remember(id, c);
    this.committedBatches += 1;
    for (const p of batch) p.resolve(verdicts.get(p.mutation.id)!);
    if (outbox.length > 0) {
      try {
        this.options.onOutbox?.(outbox);
      } catch {
        // The dispatcher also polls the outbox: a missed wake-up only delays.
      }
    }
    if (events.length > 0) {
      try {
        this.options.onCommitted?.(events);
      } catch {
        // Fan-out problems never undo a commit; clients catch up by pulling.
      }
    }
  }
}

function outboxColumns(rows: OutboxRow[]): unknown[][] {
  return [
    rows.map((r) => r.distributionId),
    rows.map((r) => r.recipient),
    rows.map((r) => r.kind),
    rows.map((r) => r.useCase),
    rows.map((r) => r.label),
    rows.map((r) => r.caseId),
    rows.map((r) => r.hubCaseId),
    rows.map((r) => r.link),
    rows.map((r) => r.body),
    rows.map((r) => r.createdAt),
    rows.map((r) => r.expiresAt),
    rows.map((r) => r.state),
    rows.map((r) => r.errorCause),
    rows.map((r) => r.answers),
  ];
}

function sameFact(a: CaseFact, b: CaseFact): boolean {
  return (Object.keys(b) as (keyof CaseFact)[]).every((k) => a[k] === b[k]);
}

/** Case facts as the columns of an unnest(): one array per column. */
function factColumns(facts: CaseFact[]): unknown[][] {
  return [
    facts.map((f) => f.openedAt),
    facts.map((f) => f.priority),
    facts.map((f) => f.sectorId),
    facts.map((f) => f.decisionCode),
    facts.map((f) => f.firstDecidedAt),
    facts.map((f) => f.decidedById),
    facts.map((f) => f.decidedByName),
    facts.map((f) => f.reopenCount),
    facts.map((f) => f.firstAnsweredAt),
  ];
}
