/**
 * The single writer of one tenant (department). Mutations from every workstation of the tenant
 * queue here; the writer drains them in batches, decides each one against the current state with
 * the shared domain rules, and commits the batch in ONE transaction: events with the next gapless
 * sequence numbers, every verdict under its mutation id, the case projection, the tenant's head.
 * Only after the commit are verdicts answered and events fanned out. Sequence order is therefore
 * commit order, and a reader using `seq > cursor` can never skip a late commit.
 */
import { mark } from '../latency-marks.js';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { caseFactOf, type CaseFact } from '../../src-shared/domain/statistics.js';
import type { AppError } from '../../src-shared/domain/result.js';
import type { Actor, RegulationCase } from '../../src-shared/schemas/case.js';
import type { Mutation, ServerEvent, Verdict } from '../../src-shared/sync-protocol/messages.js';
import { GrowingStatistics } from '../db/growing-statistics.js';
import { PackedTexts, unpackedText } from '../db/packed-texts.js';
import { searchKey } from '../../src-shared/text/normalize.js';
import type { Queryable, SqlDatabase } from '../db/sql.js';

export interface Submission {
  mutation: Mutation;
  actor: Actor;
  workstationId: string;
  /** Set by the Hub link: the partner's message this mutation integrates (for the outbox rule). */
  hubMessage?: unknown;
  /**
   * Almost certainly never submitted before (a partner's message seen for the first time), about a
   * case the writer has in memory or that does not exist yet: the writer reads neither known
   * verdicts nor the case, and its commit checks both. If the mutation was known or the case
   * existed after all, the database refuses the commit and the batch is decided again with the
   * reads (same verdicts as if they had been read first).
   */
  likelyNew?: boolean;
}

/** A verdict, and whether this submission decided it (`false`: it was known, given again). */
export interface Decided {
  verdict: Verdict;
  fresh: boolean;
}

interface Pending extends Submission {
  resolve: (d: Decided) => void;
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

/** A message in, verbatim, for the append-only Hub journal. */
export interface JournalInRow {
  at: number;
  distributionId: string | null;
  sender: string | null;
  kind: string | null;
  useCase: string | null;
  caseId: string | null;
  note: string | null;
  body: string;
}

/** A partner's message under its distributionID: integrated, or refused and kept in quarantine. */
export interface InboxRow {
  distributionId: string;
  sender: string;
  kind: string;
  useCase: string;
  caseId: string | null;
  status: 'applied' | 'quarantined';
  errorCode: number | null;
  errorCause: string | null;
  at: number;
  /** Kept for a message in quarantine (to be read and replayed); an integrated one is in the journal. */
  body: string | null;
}

/** Where one of our messages stands now (from the partner's acknowledgement or error). */
export interface OutboxStep {
  distributionId: string;
  state: string;
  /** JSON of the time of each step. */
  steps: string;
  errorCode: number | null;
  errorCause: string | null;
}

/** What the Hub Santé link records with a decided mutation, in the same commit. */
export interface HubWrites {
  outbox?: OutboxRow[];
  journal?: JournalInRow[];
  inbox?: InboxRow[];
  steps?: OutboxStep[];
}

/** What a decided mutation sends over the Hub Santé (an accepted event, or a partner's message we refuse). */
export interface OutboxContext {
  submission: Submission;
  verdict: Verdict;
  event?: ServerEvent;
  before?: RegulationCase;
  after?: RegulationCase;
  now: number;
}

export interface WriterOptions {
  /** What the Hub Santé link records for a decided mutation, committed with it (the outbox, the journal, the inbox, steps). */
  hub?: (ctx: OutboxContext) => HubWrites | null;
  /** Our Hub Santé id (the recipient of the messages journaled in). */
  hubClientId?: string;
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
  /** Where a failure after the commit (fan-out, wake-up) is said: it never undoes the commit, and is never silent. */
  onError?: (what: string, error: unknown) => void;
  /**
   * The fencing token this instance wrote on the center's row when it took the center
   * (db/center-leases.ts): every commit checks it with the head, so a writer whose instance lost
   * the center writes nothing. Absent: the row's token must be absent too (a writer opened alone).
   */
  holderToken?: string;
  /** Called once when this writer finds it no longer holds the center (it refuses everything after). */
  onFenced?: () => void;
}

export class WriterOverloadedError extends Error {}

/** This instance no longer holds the center: the submission was not decided (sent again, to the holder). */
export class NotHolderError extends Error {
  constructor(tenant: string) {
    super(`this instance no longer holds center ${tenant}`);
  }
}

/** The commit's own check refused a mutation that was known after all, or a case taken as new (or an event id that exists). */
function isKnownMutation(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  // A sequence number taken already (events' primary key) is another writer, not a known mutation.
  return e?.code === '22012' || (e?.code === '23505' && e.constraint !== 'events_pkey');
}

/** The commit's compare-and-set on the head failed: another instance took the center. */
function isFenced(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return e?.code === 'PX001' || (e?.code === '23505' && e.constraint === 'events_pkey');
}

export class TenantWriter {
  private queue: Pending[] = [];
  private draining = false;
  private readonly cache = new Map<string, CachedCase>();
  private readonly maxBatch: number;
  private readonly maxCached: number;
  private readonly now: () => number;
  private readonly maxQueue: number;
  private fencedAt: number | null = null;
  committedBatches = 0;
  private readonly statistics: GrowingStatistics | null;

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
    // Never fewer than a batch: a case read for a batch must still be held when its commit is written
    // (one not held is inserted as new).
    this.maxCached = Math.max(options.maxCachedCases ?? 50_000, this.maxBatch);
    this.now = options.now ?? Date.now;
    this.maxQueue = options.maxQueue ?? 50_000;
    // The writer's statements are prepared once per connection (PGlite plans each one anew).
    this.statistics =
      db.engine === 'postgres'
        ? new GrowingStatistics({
            db,
            tables: ['mutation_results', 'cases', 'case_facts', 'events'],
            first: 1_000,
            last: 4_000_000,
            onError: (error) => options.onError?.('statistiques des tables du centre', error),
          })
        : null;
  }

  static async open(db: SqlDatabase, tenant: string, options: WriterOptions = {}): Promise<TenantWriter> {
    const { rows } = await db.query<{ last_seq: number; epoch: string; writer_token: string | null }>('SELECT last_seq, epoch, writer_token FROM tenants WHERE id = $1', [tenant]);
    const row = rows[0];
    if (!row) throw new Error(`unknown tenant ${tenant}`);
    const writer = new TenantWriter(db, tenant, Number(row.last_seq), row.epoch, options);
    if ((row.writer_token ?? undefined) !== options.holderToken) writer.fence();
    return writer;
  }

  /** Whether this writer stepped down (another instance holds the center). */
  get fenced(): boolean {
    return this.fencedAt !== null;
  }

  /** Stop writing now: what is queued and what comes is refused (NotHolderError), nothing is decided. */
  fence(): void {
    if (this.fencedAt !== null) return;
    this.fencedAt = this.now();
    for (const p of this.queue.splice(0)) p.reject(new NotHolderError(this.tenant));
    this.options.onFenced?.();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Queue mutations (in the order given) and resolve with their verdicts once committed. */
  async submit(submissions: Submission[]): Promise<Verdict[]> {
    return (await this.submitWithOrigin(submissions)).map((d) => d.verdict);
  }

  /** As `submit`, telling for each verdict whether this submission decided it or it was known. */
  submitWithOrigin(submissions: Submission[]): Promise<Decided[]> {
    if (this.fencedAt !== null) return Promise.reject(new NotHolderError(this.tenant));
    if (this.queue.length + submissions.length > this.maxQueue) {
      return Promise.reject(new WriterOverloadedError('writer queue full'));
    }
    const promises = submissions.map(
      // The callbacks first: keys added after a spread cost V8 ~0.5 kB each (measured, Node 20).
      (s) => new Promise<Decided>((resolve, reject) => this.queue.push({ resolve, reject, ...s })),
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
          try {
            await this.commit(batch, batch.some((p) => !p.likelyNew));
          } catch (error) {
            // A mutation of the batch was known after all (the commit's own check refused it):
            // nothing was written; decide again, known verdicts read first.
            if (!isKnownMutation(error)) throw error;
            await this.commit(batch, true);
          }
        } catch (error) {
          // The commit may have happened with its answer lost: trust the database, not memory.
          // The center's token tells whether another instance took it (then this writer steps down).
          let failure = error;
          if ((await this.resync().then(() => true, () => false)) && this.fencedAt === null && isFenced(error)) {
            // Still ours: the head had moved under a memory gone stale (an answer lost). Decide
            // again from what the database holds; the verdicts already given are read first.
            try {
              await this.commit(batch, true);
              continue;
            } catch (again) {
              failure = again;
              await this.resync().catch(() => {});
            }
          }
          for (const p of batch) p.reject(this.fencedAt !== null ? new NotHolderError(this.tenant) : failure);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async resync(): Promise<void> {
    this.cache.clear();
    const { rows } = await this.db.query<{ last_seq: number; epoch: string; writer_token: string | null }>('SELECT last_seq, epoch, writer_token FROM tenants WHERE id = $1', [this.tenant]);
    if (rows[0]) {
      this.lastSeq = Number(rows[0].last_seq);
      this.epoch = rows[0].epoch;
      if ((rows[0].writer_token ?? undefined) !== this.options.holderToken) this.fence();
    }
  }

  private async loadCases(q: Queryable, ids: string[]): Promise<void> {
    const wanted = [...new Set(ids)];
    // The batch's cases held already become the most recent first: reading the others lets go of
    // the cases held longest, and one of this batch let go here would be decided as if it did not
    // exist (a note refused, "no such case"). A batch never holds more cases than memory does.
    for (const id of wanted) {
      const held = this.cache.get(id);
      if (held) this.remember(id, held);
    }
    const missing = wanted.filter((id) => !this.cache.has(id));
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

  /** `read`: read known verdicts and the cases missing from memory first (else see `likelyNew`). */
  private async commit(batch: Pending[], read: boolean): Promise<void> {
    mark('writer-decide');
    const now = this.now();
    const ids = batch.map((p) => p.mutation.id);
    // Verdicts already given (a duplicate push, a retry after a lost answer): answer them again.
    // Read both at once: two round trips in parallel instead of one after the other.
    type Known = { mutation_id: string; status: 'accepted' | 'rejected'; seq: number | null; error: string | null };
    const [{ rows: known }] = await Promise.all([
      read
        ? this.db.query<Known>('SELECT mutation_id, status, seq, error FROM mutation_results WHERE tenant = $1 AND mutation_id = ANY($2::uuid[])', [this.tenant, ids], 'writer-known-verdicts')
        : { rows: [] as Known[] },
      read ? this.loadCases(this.db, batch.map((p) => p.mutation.caseId)) : undefined,
    ]);
    // Not read: taken as new cases, which the commit checks.
    const assumedMissing = read ? [] : [...new Set(batch.map((p) => p.mutation.caseId).filter((id) => !this.cache.has(id)))];
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
    const journal: JournalInRow[] = [];
    const inbox: InboxRow[] = [];
    const steps: OutboxStep[] = [];
    const derive = this.options.hub;
    let seq = this.lastSeq;
    const workstationOf = new Map<string, string>();
    /** The submissions that decided their verdict here (not a known one, not a second copy in this batch). */
    const decidedHere = new Set<Submission>();
    const apply = (p: Submission): void => {
      const m = p.mutation;
      if (verdicts.has(m.id)) return;
      decidedHere.add(p);
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
      let hub: HubWrites | null = null;
      if (decided.ok) {
        seq += 1;
        // Every key written out, as in `decide` (a spread then new keys: ~1 kB an event in V8).
        const d = decided.value;
        const event = { id: d.id, caseId: d.caseId, actor: d.actor, workstationId: d.workstationId, clientTime: d.clientTime, kind: d.kind, payload: d.payload, localSeq: null, serverSeq: seq, serverTime: now } as ServerEvent;
        const after = applyEvent(current?.state, event);
        working.set(m.caseId, { state: after, lastSeq: seq });
        events.push(event);
        verdict = { id: m.id, status: 'accepted', seq };
        if (derive) hub = derive({ submission: p, verdict, event, ...(current ? { before: current.state } : {}), after, now });
      } else {
        verdict = { id: m.id, status: 'rejected', error: decided.error };
        if (derive) hub = derive({ submission: p, verdict, ...(current ? { before: current.state } : {}), now });
      }
      const rows = hub?.outbox ?? [];
      verdicts.set(m.id, verdict);
      workstationOf.set(m.id, p.workstationId);
      fresh.push(verdict);
      outbox.push(...rows);
      if (hub?.journal) journal.push(...hub.journal);
      if (hub?.inbox) inbox.push(...hub.inbox);
      if (hub?.steps) steps.push(...hub.steps);
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
      // The long texts (payloads, cases, whole messages) in one binary parameter ($51), each row
      // naming its own by offset and length: PostgreSQL parsed them character by character as JSON.
      const texts = new PackedTexts();
      const payloads = events.map((e) => texts.add(JSON.stringify(e.payload)));
      const data = cases.map(([, c]) => texts.add(JSON.stringify(c.state)));
      const outboxRows = texts.bodiesOf(outbox);
      const journalRows = texts.bodiesOf(journal);
      const inboxRows = texts.bodiesOf(inbox);
      mark('writer-commit-sent');
      await this.db.query(
        `WITH new_events AS (
           INSERT INTO events (tenant, seq, id, case_id, kind, payload, actor_user, actor_name, actor_role, workstation, client_time, server_time)
           SELECT $1, seq, id, case_id, kind, ${unpackedText('$51', 'p_at', 'p_len')}, actor_user, actor_name, actor_role, workstation, client_time, server_time
           FROM unnest($2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::int[], $52::int[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::bigint[], $12::bigint[]) AS t(seq, id, case_id, kind, p_at, p_len, actor_user, actor_name, actor_role, workstation, client_time, server_time)
           RETURNING 1),
         -- A case this writer does not hold in memory is new (read first, or taken as new: see
         -- likelyNew): a plain INSERT, whose unique key refuses one that exists after all (the batch is
         -- then decided again, read first). Only the cases held are upserted: INSERT … ON CONFLICT
         -- checks the key, reserves and confirms each row it inserts (7.6 against 4.2 µs a row).
         case_rows AS (
           SELECT * FROM unnest($13::uuid[], $14::bigint[], $15::text[], $16::int[], $53::int[], $49::text[], $50::text[], $40::boolean[])
             AS t(id, last_seq, status, d_at, d_len, search_phone, search_last_name, is_new)),
         new_cases AS (
           INSERT INTO cases (tenant, id, last_seq, status, data, search_phone, search_last_name)
           SELECT $1, id, last_seq, status, ${unpackedText('$51', 'd_at', 'd_len')}, search_phone, search_last_name FROM case_rows WHERE is_new
           RETURNING 1),
         changed_cases AS (
           INSERT INTO cases (tenant, id, last_seq, status, data, search_phone, search_last_name)
           SELECT $1, id, last_seq, status, ${unpackedText('$51', 'd_at', 'd_len')}, search_phone, search_last_name FROM case_rows WHERE NOT is_new
           ON CONFLICT (tenant, id) DO UPDATE SET last_seq = EXCLUDED.last_seq, status = EXCLUDED.status, data = EXCLUDED.data,
             search_phone = EXCLUDED.search_phone, search_last_name = EXCLUDED.search_last_name
           RETURNING 1),
         fact_rows AS (
           SELECT * FROM unnest($25::uuid[], $26::bigint[], $27::text[], $28::text[], $29::text[], $30::bigint[], $31::text[], $32::text[], $33::int[], $34::bigint[], $46::boolean[], $54::boolean[])
             AS t(case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled, is_new)),
         new_facts AS (
           INSERT INTO case_facts (tenant, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled)
           SELECT $1, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled FROM fact_rows WHERE is_new
           RETURNING 1),
         changed_facts AS (
           INSERT INTO case_facts (tenant, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled)
           SELECT $1, case_id, opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled FROM fact_rows WHERE NOT is_new
           ON CONFLICT (tenant, case_id) DO UPDATE SET opened_at = EXCLUDED.opened_at, priority = EXCLUDED.priority, sector_id = EXCLUDED.sector_id,
             decision = EXCLUDED.decision, first_decided_at = EXCLUDED.first_decided_at, decided_by = EXCLUDED.decided_by,
             decided_by_name = EXCLUDED.decided_by_name, reopen_count = EXCLUDED.reopen_count, first_answered_at = EXCLUDED.first_answered_at,
             cancelled = EXCLUDED.cancelled
           RETURNING 1),
         -- Compare-and-set: the head moves from where this writer left it, and only while this
         -- instance holds the center (its fencing token); otherwise nothing of the batch is written.
         head AS (UPDATE tenants SET last_seq = $17 WHERE id = $1 AND last_seq = $47 AND writer_token IS NOT DISTINCT FROM $48::text RETURNING 1),
         -- A verdict known already (a mutation taken as new without reading: see likelyNew) breaks the
         -- unique key: nothing of the batch is written, and it is decided again, read first.
         verdicts AS (
           INSERT INTO mutation_results (tenant, mutation_id, workstation, status, seq, error, decided_at)
           SELECT $1, * FROM unnest($19::uuid[], $20::text[], $21::text[], $22::bigint[], $23::text[], $24::bigint[])
           RETURNING 1),
         -- The Hub Santé rows as JSON parameters (short fields), their messages in $51.
         new_outbox AS (
           INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, case_id, hub_case_id, link, body, created_at, expires_at, state, error_cause, answers)
           SELECT $1, "distributionId", recipient, kind, "useCase", label, "caseId", "hubCaseId", link, ${unpackedText('$51', '"bodyAt"', '"bodyLen"')}, "createdAt", "expiresAt", state, "errorCause", answers
           FROM json_to_recordset($35::json) AS t("distributionId" text, recipient text, kind text, "useCase" text, label text, "caseId" uuid,
             "hubCaseId" text, link text, "bodyAt" int, "bodyLen" int, "createdAt" bigint, "expiresAt" bigint, state text, "errorCause" text, answers text)
           -- Our distribution ids are new UUIDs (v7): a plain INSERT.
           RETURNING 1),
         hub_in AS (
           INSERT INTO hub_journal (tenant, at, direction, distribution_id, sender, recipient, kind, use_case, case_id, note, body)
           SELECT $1, at, 'in', "distributionId", sender, $39, kind, "useCase", "caseId", note, ${unpackedText('$51', '"bodyAt"', '"bodyLen"')}
           FROM json_to_recordset($36::json) AS t(at bigint, "distributionId" text, sender text, kind text, "useCase" text, "caseId" uuid, note text, "bodyAt" int, "bodyLen" int)
           RETURNING 1),
         new_inbox AS (
           INSERT INTO hub_inbox (tenant, distribution_id, sender, kind, use_case, case_id, status, error_code, error_cause, received_at, updated_at, body)
           SELECT $1, "distributionId", sender, kind, "useCase", "caseId", status, "errorCode", "errorCause", at, at, ${unpackedText('$51', '"bodyAt"', '"bodyLen"')}
           FROM json_to_recordset($37::json) AS t("distributionId" text, sender text, kind text, "useCase" text, "caseId" uuid, status text, "errorCode" int, "errorCause" text, at bigint, "bodyAt" int, "bodyLen" int)
           ON CONFLICT (tenant, distribution_id) DO NOTHING
           RETURNING 1),
         -- The rows updated are named by '= ANY': a plan kept since the outbox was small must still
         -- look them up by key, not read the whole center's outbox (measured: 2.7 ms at 700 rows).
         new_steps AS (
           UPDATE hub_outbox o SET state = t.state, steps = t.steps, error_code = t.code, error_cause = t.cause
           FROM unnest($38::text[], $41::text[], $42::text[], $43::int[], $44::text[]) AS t(d, state, steps, code, cause)
           WHERE o.tenant = $1 AND o.distribution_id = ANY($38::text[]) AND o.distribution_id = t.d
           RETURNING 1)
         SELECT (SELECT count(*) FROM new_events) AS events, (SELECT count(*) FROM new_cases) + (SELECT count(*) FROM changed_cases) AS cases,
           (SELECT count(*) FROM new_facts) + (SELECT count(*) FROM changed_facts) AS facts, (SELECT count(*) FROM new_outbox) AS outbox, (SELECT count(*) FROM hub_in) AS journal,
           (SELECT count(*) FROM new_inbox) AS inbox, (SELECT count(*) FROM new_steps) AS steps,
           -- Every verdict decided here is written (the unique key refuses a known one, above). A case
           -- taken as new without reading it must not exist either, even where nothing was inserted
           -- (a refusal: "no such case"): a division by zero then, as this statement's snapshot shows
           -- the cases as they were before it.
           1 / (CASE WHEN NOT EXISTS (SELECT 1 FROM cases WHERE tenant = $1 AND id = ANY($45::uuid[])) THEN 1 ELSE 0 END) AS all_new,
           CASE WHEN (SELECT count(*) FROM head) = 1 THEN 1 ELSE permanence_not_holder($1) END AS holder,
           -- The other instances fan the batch out to their own sockets (sent at commit, in commit order).
           (SELECT pg_notify('permanence_events', $1 || ' ' || $17::text) WHERE $18::int > 0) AS notified`,
        [
          this.tenant,
          events.map((e) => e.serverSeq),
          events.map((e) => e.id),
          events.map((e) => e.caseId),
          events.map((e) => e.kind),
          payloads.map((p) => p.at),
          events.map((e) => e.actor.userId),
          events.map((e) => e.actor.displayName),
          events.map((e) => e.actor.role),
          events.map((e) => e.workstationId),
          events.map((e) => e.clientTime),
          events.map((e) => e.serverTime),
          cases.map(([id]) => id),
          cases.map(([, c]) => c.lastSeq),
          cases.map(([, c]) => c.state.status),
          data.map((d) => d.at),
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
          JSON.stringify(outboxRows),
          JSON.stringify(journalRows),
          JSON.stringify(inboxRows),
          steps.map((r) => r.distributionId),
          this.options.hubClientId ?? null,
          // New cases (not held in memory: read first, or taken as new), inserted; the others upserted.
          cases.map(([id]) => !this.cache.has(id)),
          steps.map((r) => r.state),
          steps.map((r) => r.steps),
          steps.map((r) => r.errorCode),
          steps.map((r) => r.errorCause),
          assumedMissing,
          factCancelled(facts.map(([, f]) => f)),
          this.lastSeq,
          this.options.holderToken ?? null,
          // What the server's search looks cases up by (columns of their own: an index on the
          // case's JSON made PostgreSQL parse every case written, twice).
          cases.map(([, c]) => c.state.fields.callbackPhone ?? null),
          cases.map(([, c]) => searchKey(c.state.fields.patient?.lastName ?? '') || null),
          texts.bytes(),
          payloads.map((p) => p.len),
          data.map((d) => d.len),
          facts.map(([id]) => !this.cache.has(id)),
        ],
        'writer-commit',
      );
    }
    mark('writer-committed');
    this.statistics?.wrote(batch.length);
    this.lastSeq = seq;
    for (const [id, c] of working) this.remember(id, c);
    this.committedBatches += 1;
    for (const p of batch) p.resolve({ verdict: verdicts.get(p.mutation.id)!, fresh: decidedHere.has(p) });
    if (outbox.length > 0) {
      try {
        this.options.onOutbox?.(outbox);
      } catch (error) {
        // The dispatcher also polls the outbox: a missed wake-up only delays.
        this.options.onError?.('réveil du lien Hub Santé après un commit', error);
      }
    }
    if (events.length > 0) {
      try {
        this.options.onCommitted?.(events);
      } catch (error) {
        // Fan-out problems never undo a commit; clients catch up by pulling.
        this.options.onError?.('diffusion des événements validés', error);
      }
    }
  }
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

/** The facts' cancelled column, passed last ($46: after the Hub parameters). */
function factCancelled(facts: CaseFact[]): boolean[] {
  return facts.map((f) => f.cancelled);
}
