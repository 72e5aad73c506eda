/**
 * A center's Hub Santé link, in the central server: what a case change sends (the outbox rule the
 * writer applies inside its transaction), the one dispatcher that publishes the outbox in order with
 * publisher confirms and follows each message until the partner acknowledged it (re-sent, alerted
 * when late, expired), and what arrives: a partner's case or update integrated once (identified by
 * its distributionID) and answered with exactly one RC-REF, or refused with an RS-ERROR and kept in
 * quarantine; acknowledgements and errors of our own messages; SAS appointments. Every message in
 * and out goes verbatim into the append-only journal. An AMQP delivery is acknowledged only after
 * what it caused is committed.
 */
import { mark } from '../latency-marks.js';
import { createHash, hash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { v7 as uuidv7 } from 'uuid';
import { createCaseHealthToFields, createCaseHealthUpdateToChanges, plannedMessages, type HubCaseContext, type PlannedMessage } from '../../src-shared/domain/hubsante-case.js';
import { buildEnvelope, type DecodedMessage, type OutgoingMessage } from '../../src-shared/domain/hubsante-envelope.js';
import { ackOf, applyDelivery, errorOf, newDelivery, type Delivery, type DeliveryEvent, type HubErrorCode } from '../../src-shared/domain/hubsante-protocol.js';
import { ScreeningFieldsSchema, type Actor, type ScreeningFields } from '../../src-shared/schemas/case.js';
import type { CaseCommand, HubDelivery } from '../../src-shared/schemas/case-events.js';
import type { Verdict } from '../../src-shared/sync-protocol/messages.js';
import type { HubAppointment, HubJournalEntry, HubStatus, QuarantineItem } from '../../src-shared/schemas/hubsante.js';
import type { Queryable, SqlDatabase } from '../db/sql.js';
import { GroupCommit } from '../db/group-commit.js';
import { compiledSchema } from '../../src-shared/validation/compiled-schema.js';
import type { Decided, HubWrites, JournalInRow, OutboxContext, OutboxRow, OutboxStep, Submission, TenantWriter, WriterOptions } from '../services/tenant-writer.js';
import { HubAmqpLink, type HubQueue, type LinkState } from './amqp-link.js';
import type { HubConfig } from './config.js';
import type { HubSchemas } from './schemas.js';
import { GrowingStatistics } from '../db/growing-statistics.js';
import { PackedTexts, unpackedText } from '../db/packed-texts.js';

const NAMESPACE = Buffer.from('b7d1f6a23c4e4f8a9d0b5e6f7a8b9c0d', 'hex');
/**
 * A stable UUID for a name: the same partner message always gives the same mutation, the same Hub
 * case the same case. RFC 4122 version 5 (SHA-1 of our namespace and the name), computed with
 * node:crypto: the uuid package's v5 converts strings to bytes in JavaScript, 40 µs a message in a
 * burst (tested equal to it). One-shot `hash` rather than a Hash object: 1.9 against 3.3 µs a name
 * (three or four names a message).
 */
export function uuidFrom(name: string): string {
  const h = hash('sha1', Buffer.concat([NAMESPACE, Buffer.from(name, 'utf8')]), 'buffer');
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The use cases this link integrates or sends (any other is quarantined, checked by the full schema). */
const HANDLED_USE_CASES = ['createCaseHealth', 'createCaseHealthUpdate', 'reference', 'error', 'appointment'] as const;

const HUB_ACTOR: Actor = { userId: 'hub', displayName: 'Hub Santé', role: 'hub' };

export type { HubAppointment, HubStatus, QuarantineItem };

/** An outbox row on its way to the broker. */
interface PendingRow {
  distribution_id: string;
  body: string;
  recipient: string;
  use_case: string;
  label: string;
  case_id: string | null;
  link: string | null;
  answers: string | null;
}

/** What the writer records with a mutation the Hub link submits (see `writes`). */
type HubSubmission =
  /** A partner's message: its journal entry (none on a replay), its inbox row, our RC-REF or RS-ERROR. */
  | { kind: 'message'; decoded: DecodedMessage; body: string; at: number; entry: JournalInRow | null }
  /** A step of one of our messages: the partner's acknowledgement or error, journaled, and the outbox row's new state. */
  | { kind: 'step'; step: OutboxStep; entry: JournalInRow | null };

/** One of our messages waiting for the partner: where it stands, and what the case needs to know of it. */
interface Tracked {
  delivery: Delivery;
  row: { case_id: string | null; link: string | null; use_case: string; label: string; answers: string | null };
}
/** Messages followed in memory (older ones are read back from the outbox when their answer comes). */
const MAX_TRACKED = 20_000;
/** Publications are marked in the outbox (and journaled) in batches, off the path of the answers. */
const MARK_DELAY_MS = 250;

type Outcome = 'applied' | 'duplicate' | 'quarantined' | 'recorded';

export interface HubServiceOptions {
  db: SqlDatabase;
  config: HubConfig;
  schemas: HubSchemas;
  department: string;
  writer: () => Promise<TenantWriter>;
  now?: () => number;
  log: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
  /** Something supervisors watch changed (connection, waiting messages, quarantine, appointments). */
  onChange?: () => void;
  /** Period of the follow-up of sent messages (re-send, alert, expiry). */
  tickMs?: number;
  /** Delay before "received by the Hub" is written into the case (skipped when the partner answered first). */
  publishedStepDelayMs?: number;
}

/** The receiving-software error code for a mutation the case rules refused. */
function codeFor(error: { code: string } | undefined): HubErrorCode {
  switch (error?.code) {
    case 'conflict':
      return 701;
    case 'not_found':
    case 'invalid_transition':
      return 702;
    case 'incomplete':
    case 'invalid_input':
      return 704;
    default:
      return 700;
  }
}

export class HubService {
  readonly link: HubAmqpLink;
  private readonly now: () => number;
  private readonly ctx: HubCaseContext;
  private lastIn: HubStatus['lastIn'] = null;
  private lastOut: HubStatus['lastOut'] = null;
  private pumping = false;
  private again = false;
  private ticker: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: HubServiceOptions) {
    this.now = o.now ?? Date.now;
    this.outboxStatistics = new GrowingStatistics({
      db: o.db,
      tables: ['hub_outbox'],
      first: 100,
      last: 100_000,
      onError: (error) => o.log('warn', 'Hub Santé : statistiques de la file non rafraîchies', { error: error.message }),
    });
    this.ctx = { clientId: o.config.clientId, timeZone: o.config.timeZone, departmentCode: o.department };
    this.link = new HubAmqpLink({
      clientId: o.config.clientId,
      url: o.config.url,
      vhost: o.config.vhost,
      tls: o.config.tls,
      ...(o.config.servername ? { servername: o.config.servername } : {}),
      prefetch: o.config.prefetch,
      onDelivery: (queue, msg) => void this.onDelivery(queue, msg),
      log: o.log,
    });
    this.link.on('state', (state: LinkState) => {
      this.o.onChange?.();
      if (state === 'connected') this.wake(true);
    });
  }

  get config(): HubConfig {
    return this.o.config;
  }

  start(): void {
    // The validators of what this link receives and sends, compiled before the first delivery
    // (a backlog waiting at a restart or a failover comes all at once).
    this.o.schemas.prepare(HANDLED_USE_CASES);
    checkFields.prepare();
    this.link.start();
    this.ticker = setInterval(() => void this.followUp().catch((e) => this.o.log('error', 'Hub Santé : suivi des envois en échec', { error: (e as Error).message })), this.o.tickMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.markTimer) clearTimeout(this.markTimer);
    await this.flushMarks();
    await this.link.stop();
    await this.outboxStatistics.settled();
  }

  // ---- the outbox rule (runs inside the writer's transaction) --------------------------------

  private ours(now: number) {
    return { clientId: this.o.config.clientId, sentAt: now, expiresAt: now + this.o.config.expiryHours * 3_600_000, uuid: uuidv7(), timeZone: this.o.config.timeZone };
  }

  private row(out: OutgoingMessage, meta: { label: string; caseId: string | null; hubCaseId: string | null; link: PlannedMessage['link'] | null; answers: string | null }, now: number): OutboxRow {
    const envelope = buildEnvelope(out);
    const errors = this.o.schemas.checkMessage(envelope);
    if (errors.length) this.o.log('error', 'Hub Santé : message sortant non conforme, non envoyé', { distributionId: envelope.distributionID, errors });
    return {
      distributionId: envelope.distributionID,
      recipient: out.recipientId,
      kind: out.kind,
      useCase: out.useCase,
      label: meta.label,
      caseId: meta.caseId,
      hubCaseId: meta.hubCaseId,
      link: meta.link ? JSON.stringify(meta.link) : null,
      body: JSON.stringify(envelope),
      createdAt: now,
      expiresAt: out.expiresAt,
      state: errors.length ? 'invalid' : 'pending',
      errorCause: errors.length ? errors.map((e) => `${e.path} : ${e.message}`).join(' ; ').slice(0, 2000) : null,
      answers: meta.answers,
    };
  }

  /**
   * What the writer commits with a decided mutation (the rule it applies inside its transaction):
   * for a partner's message, its journal entry, its inbox row and our RC-REF or RS-ERROR; for the
   * partner's answer to one of ours, its journal entry and the outbox row's step; for a change of
   * one of our cases, the messages it sends.
   */
  writes = (c: OutboxContext): HubWrites | null => {
    const hub = c.submission.hubMessage as HubSubmission | undefined;
    if (hub?.kind === 'step') return { steps: [hub.step], journal: hub.entry ? [hub.entry] : [] };
    if (hub?.kind === 'message') {
      const d = hub.decoded;
      const ref = { distributionID: d.envelope.distributionID, senderID: d.envelope.senderID };
      const accepted = c.verdict.status === 'accepted';
      const code = accepted ? null : codeFor(c.verdict.error);
      const cause = accepted ? null : (c.verdict.error?.message ?? 'non intégré');
      const out = accepted ? ackOf(d, this.ours(c.now), { step: 'INTEGRE' }) : errorOf(ref, code!, cause!, this.ours(c.now));
      const caseId = c.submission.mutation.caseId;
      return {
        outbox: [this.row(out, { label: accepted ? 'Accusé de réception (intégré)' : 'Erreur renvoyée au partenaire', caseId, hubCaseId: null, link: null, answers: ref.distributionID }, c.now)],
        // A replay has its journal entry and its inbox row already (the row is updated after).
        journal: hub.entry ? [hub.entry] : [],
        inbox: hub.entry
          ? [{ distributionId: ref.distributionID, sender: ref.senderID, kind: d.envelope.distributionKind, useCase: d.useCase, caseId, status: accepted ? 'applied' : 'quarantined', errorCode: code, errorCause: cause, at: hub.at, body: accepted ? null : hub.body }]
          : [],
      };
    }
    if (!c.event || !c.after) return null;
    return {
      outbox: plannedMessages(c.event, c.before, c.after, this.ctx, this.o.config.samu).map((p) =>
        this.row(
          { senderId: this.o.config.clientId, recipientId: p.recipientId, kind: p.kind, useCase: p.useCase, payload: p.payload, ...this.ours(c.now), ...(p.link.peerName ? { recipientName: p.link.peerName } : {}) },
          { label: p.label, caseId: c.after!.id, hubCaseId: p.link.caseId, link: p.link, answers: null },
          c.now,
        ),
      ),
    };
  };

  /** The writer's options that plug this link into it. */
  get writerHooks(): Pick<WriterOptions, 'hub' | 'hubClientId' | 'onOutbox' | 'followUps'> {
    return { hub: this.writes, hubClientId: this.o.config.clientId, onOutbox: this.onOutbox, followUps: this.followUps };
  }

  /** A case message written to the outbox: the case records it as sent in the same commit (its link to the partner starts there). */
  followUps = (rows: OutboxRow[]): Submission[] =>
    rows
      .filter((r) => r.caseId && r.link && !r.answers)
      .map((r, i) => ({
        mutation: {
          id: uuidFrom(`${this.o.config.tenant}|delivery|${r.distributionId}|pending`),
          caseId: r.caseId!,
          command: { type: 'hub_delivery', delivery: { distributionId: r.distributionId, useCase: r.useCase, label: r.label, link: JSON.parse(r.link!), state: r.state === 'invalid' ? 'error' : 'pending', ...(r.state === 'invalid' ? { error: { code: 300, cause: `message non conforme, non envoyé : ${r.errorCause ?? ''}`.slice(0, 2000) } } : {}) } },
          clientTime: r.createdAt,
          localSeq: i + 1,
        },
        actor: HUB_ACTOR,
        workstationId: 'hubsante',
      }));

  /** The writer committed outbox rows: publish them now, from memory (no read back). */
  onOutbox = (rows: OutboxRow[]): void => {
    this.outboxStatistics.wrote(rows.length);
    for (const r of rows) {
      if (r.state !== 'pending') continue;
      this.ready.push({ distribution_id: r.distributionId, body: r.body, recipient: r.recipient, use_case: r.useCase, label: r.label, case_id: r.caseId, link: r.link, answers: r.answers });
      if (r.answers === null) this.track(r.distributionId, { delivery: newDelivery(), row: { case_id: r.caseId, link: r.link, use_case: r.useCase, label: r.label, answers: r.answers } });
    }
    this.wake();
  };

  // ---- statistics of the outbox ---------------------------------------------------------------------

  /**
   * The statements on the path of an acknowledgement keep their plan once made: one made while the
   * outbox was nearly empty reads a whole center's outbox for each step. Refreshed as it grows.
   */
  private readonly outboxStatistics: GrowingStatistics;

  // ---- our messages waiting for the partner ------------------------------------------------------

  private readonly tracked = new Map<string, Tracked>();

  private track(distributionId: string, t: Tracked): void {
    this.tracked.set(distributionId, t);
    if (this.tracked.size > MAX_TRACKED) this.tracked.delete(this.tracked.keys().next().value!);
  }

  /** One of our messages, from memory, or read back from the outbox (sent before a restart, or long ago). */
  private async trackedOf(distributionId: string): Promise<Tracked | null> {
    const known = this.tracked.get(distributionId);
    if (known) return known;
    type Row = Tracked['row'] & { state: string; steps: string; error_code: number | null; error_cause: string | null };
    const { rows } = await this.o.db.query<Row>(
      'SELECT state, steps, error_code, error_cause, case_id, link, use_case, label, answers FROM hub_outbox WHERE tenant = $1 AND distribution_id = $2',
      [this.o.config.tenant, distributionId],
      'hub-outbox-step-read',
    );
    const r = rows[0];
    if (!r || r.state === 'invalid') return null;
    // Read while another answer was being written: the one in memory now is as recent.
    const again = this.tracked.get(distributionId);
    if (again) return again;
    const t: Tracked = {
      delivery: { state: r.state as Delivery['state'], at: JSON.parse(r.steps), ...(r.error_code !== null ? { error: { code: r.error_code, cause: r.error_cause ?? '' } } : {}) },
      row: { case_id: r.case_id, link: r.link, use_case: r.use_case, label: r.label, answers: r.answers },
    };
    this.track(distributionId, t);
    return t;
  }

  // ---- the dispatcher --------------------------------------------------------------------------

  /** Committed rows handed over by the writer, in commit order. */
  private ready: PendingRow[] = [];
  /** The outbox must be read from the database (start, reconnection, a failed publish, rows written elsewhere). */
  private scan = true;
  private scanned = new Set<string>();

  /** Publish what is pending; `scan`: rows were written without passing through `onOutbox`. */
  wake(scan = false): void {
    if (scan) this.scan = true;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (!this.link.connected || this.stopped) break;
        let rows: PendingRow[];
        if (this.scan) {
          // Everything committed is in the table, in id order (the rows in memory too): read it.
          this.scan = false;
          this.ready = [];
          rows = (
            await this.o.db.query<PendingRow>(
              `SELECT distribution_id, body, recipient, use_case, label, case_id, link, answers FROM hub_outbox
                WHERE tenant = $1 AND state = 'pending' ORDER BY id LIMIT 500`,
              [this.o.config.tenant],
              'hub-outbox-pending',
            )
          ).rows;
          if (rows.length === 500) this.scan = true;
          // Published a moment ago, not marked yet: already on its way.
          rows = rows.filter((r) => !this.marking.has(r.distribution_id));
          // A row committed just before that read may still be handed over by the writer: once is enough.
          this.scanned = new Set(rows.map((r) => r.distribution_id));
        } else {
          rows = this.ready.splice(0, 500).filter((r) => !this.scanned.has(r.distribution_id));
        }
        if (rows.length === 0) break;
        // One channel, in commit order: the broker keeps that order; confirms come back in it.
        const results = await Promise.allSettled(rows.map((r) => this.link.publish(Buffer.from(r.body), r.distribution_id)));
        const done = rows.filter((_, i) => results[i]!.status === 'fulfilled');
        mark('amqp-confirmed');
        if (done.length) this.confirmed(done, false);
        if (done.length < rows.length) {
          const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
          this.o.log('warn', 'Hub Santé : publication non confirmée, nouvel essai', { error: String(failed.reason?.message ?? failed.reason) });
          // What failed is still pending in the table: read it again once connected.
          this.scan = true;
          break;
        }
        if (this.ready.length || this.scan) this.again = true;
      } while (this.again);
    } catch (error) {
      this.scan = true;
      this.o.log('error', 'Hub Santé : envoi de la file en échec', { error: (error as Error).message });
    } finally {
      this.pumping = false;
    }
  }

  /** Published and not yet marked in the outbox (the mark comes in the next batch). */
  private readonly marking = new Map<string, { row: PendingRow; at: number }>();
  private markTimer: NodeJS.Timeout | null = null;
  private markFailed = false;

  /**
   * Confirmed by the broker: the step in memory at once, and in the outbox and the journal in a
   * batch a moment later (off the path of the partner's answer). Until then the row reads
   * `pending`: after a crash it is published again, which the partner recognises by its
   * distributionID. A re-send is marked at once.
   */
  private confirmed(rows: PendingRow[], resent: boolean): Promise<void> {
    const now = this.now();
    const last = rows[rows.length - 1]!;
    this.lastOut = { at: now, distributionId: last.distribution_id, useCase: last.use_case, peer: last.recipient };
    for (const r of rows) {
      this.o.log('info', resent ? 'Hub Santé : message renvoyé' : 'Hub Santé : message envoyé', { distributionId: r.distribution_id, useCase: r.use_case, to: r.recipient, caseId: r.case_id });
      const t = this.tracked.get(r.distribution_id);
      if (t) t.delivery = applyDelivery(t.delivery, { type: 'confirmed', at: now });
    }
    if (resent) return this.markPublished(rows.map((row) => ({ row, at: now })), true);
    for (const row of rows) this.marking.set(row.distribution_id, { row, at: now });
    this.markTimer ??= setTimeout(() => void this.flushMarks(), MARK_DELAY_MS);
    const caseRows = rows.filter((r) => r.case_id && r.link && !r.answers);
    // The case learns "received by the Hub" a moment later, unless the partner's acknowledgement
    // came first (its step carries the Hub's time too): one case event instead of two, and none
    // competing with the partner's answer on the way.
    if (caseRows.length) setTimeout(() => void this.publishedOnCases(caseRows, now), this.o.publishedStepDelayMs ?? 300).unref();
    this.o.onChange?.();
    return Promise.resolve();
  }

  /** The marks being written: one batch at a time, each taking what the one before left. */
  private markChain: Promise<void> = Promise.resolve();

  /**
   * Write the marks waiting, after the batch being written if any: a batch taken while the one
   * before was still being written (slower than MARK_DELAY_MS under load) took its rows again,
   * and those messages were journaled as sent twice.
   */
  private flushMarks(): Promise<void> {
    this.markTimer = null;
    this.markChain = this.markChain.then(() => this.writeMarks());
    return this.markChain;
  }

  private async writeMarks(): Promise<void> {
    const batch = [...this.marking.values()];
    if (batch.length === 0) return;
    try {
      await this.markPublished(batch, false);
    } catch (error) {
      // Still `pending` in the outbox: read again and published again (the partner recognises it).
      this.markFailed = true;
      this.o.log('warn', 'Hub Santé : envoi non inscrit dans la file (il sera refait)', { error: (error as Error).message });
    } finally {
      for (const b of batch) if (this.marking.get(b.row.distribution_id) === b) this.marking.delete(b.row.distribution_id);
    }
  }

  /** The outbox rows marked published (a step only moves forward) and the messages journaled out. */
  private async markPublished(batch: { row: PendingRow; at: number }[], resent: boolean): Promise<void> {
    const tenant = this.o.config.tenant;
    // The messages in one binary parameter ($7), each row naming its own (see PackedTexts).
    const texts = new PackedTexts();
    const rows = texts.bodiesOf(batch.map(({ row: r, at }) => ({ d: r.distribution_id, r: r.recipient, u: r.use_case, c: r.case_id, body: r.body, at })));
    await this.o.db.query(
      `WITH up AS (
         UPDATE hub_outbox o SET state = CASE WHEN o.state = 'pending' THEN 'published' ELSE o.state END,
           steps = CASE WHEN o.steps::jsonb ? 'published' THEN o.steps ELSE (o.steps::jsonb || jsonb_build_object('published', t.at))::text END,
           attempts = o.attempts + 1, last_attempt_at = t.at
         FROM unnest($5::text[], $6::bigint[]) AS t(d, at)
         -- '= ANY' keeps the lookup by key in a plan made while the outbox was small.
         WHERE o.tenant = $1 AND o.distribution_id = ANY($5::text[]) AND o.distribution_id = t.d RETURNING 1),
       j AS (
         INSERT INTO hub_journal (tenant, at, direction, distribution_id, sender, recipient, kind, use_case, case_id, note, body)
         SELECT $1, at, 'out', d, $3, r, NULL, u, c, $4, ${unpackedText('$7', '"bodyAt"', '"bodyLen"')}
         FROM json_to_recordset($2::json) AS t(d text, r text, u text, c uuid, "bodyAt" int, "bodyLen" int, at bigint)
         RETURNING 1)
       SELECT (SELECT count(*) FROM up) AS up, (SELECT count(*) FROM j) AS j`,
      [
        tenant,
        JSON.stringify(rows),
        this.o.config.clientId,
        resent ? 'renvoi' : null,
        batch.map((b) => b.row.distribution_id),
        batch.map((b) => b.at),
        texts.bytes(),
      ],
      'hub-outbox-published',
    );
  }

  private async publishedOnCases(rows: PendingRow[], at: number): Promise<void> {
    if (this.stopped) return;
    try {
      // Where each stands now: in memory, or in the outbox for one no longer followed here.
      const unknown = rows.filter((r) => !this.tracked.has(r.distribution_id)).map((r) => r.distribution_id);
      const { rows: still } = unknown.length
        ? await this.o.db.query<{ distribution_id: string }>(
            `SELECT distribution_id FROM hub_outbox WHERE tenant = $1 AND distribution_id = ANY($2::text[]) AND state IN ('pending', 'published')`,
            [this.o.config.tenant, unknown],
          )
        : { rows: [] };
      const left = new Set(still.map((r) => r.distribution_id));
      const items = rows.filter((r) => {
        const t = this.tracked.get(r.distribution_id);
        return t ? t.delivery.state === 'published' : left.has(r.distribution_id);
      });
      if (items.length) await this.submitDeliveries(items.map((r) => this.deliveryOf(r, 'published', { state: 'published', steps: { published: at } })));
    } catch (error) {
      this.o.log('warn', 'Hub Santé : étape « reçu par le Hub » non inscrite au dossier', { error: (error as Error).message });
    }
  }

  /** A delivery step of one of our case messages, from its outbox row, for the case's timeline. */
  private deliveryOf(r: { distribution_id: string; case_id: string | null; link: string | null; use_case: string; label: string }, step: string, d: Omit<HubDelivery, 'distributionId' | 'useCase' | 'label' | 'link'>) {
    return { caseId: r.case_id!, key: `${r.distribution_id}|${step}`, delivery: { distributionId: r.distribution_id, useCase: r.use_case, label: r.label, link: JSON.parse(r.link!), ...d } };
  }

  /** The case event of a delivery step (its id is the step's: the same step is never recorded twice). */
  private deliverySubmission(i: { caseId: string; key: string; delivery: HubDelivery }, localSeq: number, now: number): Submission {
    return {
      mutation: { id: uuidFrom(`${this.o.config.tenant}|delivery|${i.key}`), caseId: i.caseId, command: { type: 'hub_delivery', delivery: i.delivery }, clientTime: now, localSeq },
      actor: HUB_ACTOR,
      workstationId: 'hubsante',
    };
  }

  private async submitDeliveries(items: { caseId: string; key: string; delivery: HubDelivery }[]): Promise<void> {
    const writer = await this.o.writer();
    const now = this.now();
    const verdicts = await writer.submit(items.map((i, n) => this.deliverySubmission(i, n + 1, now)));
    for (const v of verdicts) if (v.status === 'rejected') this.o.log('warn', 'Hub Santé : étape de livraison non inscrite au dossier', { error: v.error?.message });
  }

  /** Re-send what the partner has not acknowledged, alert on what is late, give up on what expired. */
  async followUp(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const c = this.o.config;
    const tenant = c.tenant;
    const { rows: expired } = await this.o.db.query<{ distribution_id: string; case_id: string | null; link: string | null; use_case: string; label: string; steps: string; state: string }>(
      `UPDATE hub_outbox SET state = 'error', error_code = 400, error_cause = 'expiré sans accusé de réception du partenaire'
        WHERE tenant = $1 AND state IN ('pending', 'published') AND answers IS NULL AND expires_at <= $2
        RETURNING distribution_id, case_id, link, use_case, label, steps, state`,
      [tenant, now],
    );
    const { rows: late } = await this.o.db.query<{ distribution_id: string; case_id: string | null; link: string | null; use_case: string; label: string; recipient: string }>(
      `UPDATE hub_outbox SET overdue = TRUE
        WHERE tenant = $1 AND NOT overdue AND answers IS NULL AND state IN ('pending', 'published') AND created_at <= $2
        RETURNING distribution_id, case_id, link, use_case, label, recipient`,
      [tenant, now - c.ackAlertSeconds * 1000],
    );
    for (const e of expired) this.tracked.delete(e.distribution_id);
    for (const l of late) this.o.log('warn', 'Hub Santé : pas d’accusé de réception du partenaire dans le délai', { distributionId: l.distribution_id, recipient: l.recipient });
    const items = [
      ...late.filter((r) => r.case_id && r.link).map((r) => this.deliveryOf(r, 'overdue', { overdue: true })),
      ...expired.filter((r) => r.case_id && r.link).map((r) => this.deliveryOf(r, 'expired', { state: 'error', steps: { error: now }, error: { code: 400, cause: 'expiré sans accusé de réception du partenaire' } })),
    ];
    if (items.length) await this.submitDeliveries(items);
    if (late.length || expired.length) this.o.onChange?.();
    if (!this.link.connected) return;
    // Publications the outbox could not record (the database was down): read it again and send them.
    if (this.markFailed && !this.pumping) {
      this.markFailed = false;
      this.wake(true);
    }
    const { rows: resend } = await this.o.db.query<PendingRow>(
      `SELECT distribution_id, body, recipient, use_case, label, case_id, link, answers FROM hub_outbox
        WHERE tenant = $1 AND state = 'published' AND answers IS NULL AND last_attempt_at <= $2 AND expires_at > $3 ORDER BY id LIMIT 200`,
      [tenant, now - c.resendAfterSeconds * 1000, now],
    );
    if (resend.length === 0) return;
    const results = await Promise.allSettled(resend.map((r) => this.link.publish(Buffer.from(r.body), r.distribution_id)));
    const done = resend.filter((_, i) => results[i]!.status === 'fulfilled');
    if (done.length) {
      this.o.log('info', 'Hub Santé : messages renvoyés faute d’accusé de réception', { count: done.length });
      await this.confirmed(done, true);
    }
  }

  // ---- what arrives ------------------------------------------------------------------------------

  /** Failed attempts of the deliveries that failed last time, by the message's hash (the broker keeps no count). */
  private readonly failedAttempts = new Map<string, number>();

  private async onDelivery(queue: HubQueue, msg: ConsumeMessage): Promise<void> {
    const body = msg.content.toString('utf8');
    // A failed message is known by its hash (computed only when some have failed).
    const key = () => createHash('sha256').update(body).digest('base64');
    try {
      await this.receive(queue, body, { redelivered: msg.fields.redelivered });
      if (this.failedAttempts.size > 0) this.failedAttempts.delete(key());
      mark('amqp-ack');
      this.link.ack(msg);
    } catch (error) {
      const failed = key();
      const attempts = (this.failedAttempts.get(failed) ?? 0) + 1;
      const cause = (error as Error).message;
      if (attempts >= this.o.config.maxDeliveryAttempts) {
        // Failed every time: it would come back every second for ever. Quarantined where the
        // supervisor sees it (and can replay it once mended), answered with RS-ERROR 700. If even
        // that cannot be written (the database is away), it goes back to the Hub as before.
        try {
          await this.quarantineUnprocessable(queue, body, `message non traité après ${attempts} tentatives : ${cause}`.slice(0, 2000));
          this.failedAttempts.delete(failed);
          this.link.ack(msg);
          return;
        } catch (again) {
          this.o.log('error', 'Hub Santé : mise en quarantaine impossible, message rendu au Hub', { error: (again as Error).message, queue });
        }
      }
      if (this.failedAttempts.size > 10_000) this.failedAttempts.clear();
      this.failedAttempts.set(failed, attempts);
      // Nothing was committed (the database is down?): give it back after a pause, it comes again.
      this.o.log('error', 'Hub Santé : message non traité, rendu au Hub', { error: cause, queue, attempts });
      setTimeout(() => this.link.nack(msg), 1000).unref();
    }
  }

  /** A delivery that fails every time it is processed: quarantined with what could be read of it. */
  private async quarantineUnprocessable(queue: HubQueue, body: string, cause: string): Promise<void> {
    let env: { distributionID?: string; senderID?: string; distributionKind?: string } = {};
    try {
      env = JSON.parse(body) as typeof env;
    } catch {
      // unreadable: named by its hash below
    }
    const distributionID = typeof env.distributionID === 'string' ? env.distributionID : unreadableId(body);
    const senderID = typeof env.senderID === 'string' ? env.senderID : 'inconnu';
    await this.quarantine({ distributionID, senderID, kind: typeof env.distributionKind === 'string' ? env.distributionKind : 'inconnu', useCase: 'inconnu' }, 700, cause, body, queue === 'message' && senderID !== 'inconnu');
  }

  /** Deliveries journaled apart from a writer's commit, together (one INSERT for all that arrived meanwhile). */
  private readonly journalIn = new GroupCommit<JournalInRow>(async (rows) => {
    // The short fields as one JSON parameter, the messages in one binary parameter (see PackedTexts).
    const texts = new PackedTexts();
    const short = texts.bodiesOf(rows);
    await this.o.db.query(
      `INSERT INTO hub_journal (tenant, at, direction, distribution_id, sender, recipient, kind, use_case, case_id, note, body)
       SELECT $1, at, 'in', "distributionId", sender, $2, kind, "useCase", "caseId", note, ${unpackedText('$4', '"bodyAt"', '"bodyLen"')}
       FROM json_to_recordset($3::json) AS t(at bigint, "distributionId" text, sender text, kind text, "useCase" text, "caseId" uuid, note text, "bodyAt" int, "bodyLen" int)`,
      [this.o.config.tenant, this.o.config.clientId, JSON.stringify(short), texts.bytes()],
      'hub-journal-in-batch',
    );
    return rows.map(() => undefined);
  });

  /** A delivery's journal entry written apart (none on a replay: it is journaled already). */
  private journalApart(entry: JournalInRow | null): Promise<void> {
    return entry ? this.journalIn.add(entry) : Promise.resolve();
  }

  /**
   * One delivery from our queues: journal it, then apply it once. Resolves when what it caused is
   * committed (the caller then acknowledges it on AMQP); throws when nothing could be committed.
   */
  async receive(queue: HubQueue, body: string, options: { redelivered?: boolean; replay?: number } = {}): Promise<Outcome> {
    const now = this.now();
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      // PostgreSQL's text cannot hold a NUL character (never valid in JSON): such a message could be
      // neither journaled nor quarantined, and came back from the Hub for ever. Kept as U+FFFD, said.
      const kept = body.includes('\u0000') ? body.replaceAll('\u0000', '\uFFFD') : body;
      const replaced = kept !== body ? 'caractères nuls remplacés par U+FFFD' : null;
      const note = replaced ? `JSON illisible (${replaced})` : 'JSON illisible';
      await this.journalIn.add({ distributionId: null, sender: null, kind: null, useCase: null, caseId: null, note, body: kept, at: now });
      const id = /"distributionID"\s*:\s*"([\w.-]+)"/.exec(kept)?.[1] ?? unreadableId(body);
      return this.quarantine({ distributionID: id, senderID: id.split('_')[0] ?? 'inconnu', kind: 'inconnu', useCase: 'inconnu' }, 704, `message illisible (JSON invalide${replaced ? ` ; ${replaced}` : ''})`, kept, false);
    }
    mark('json-parsed');
    const decoded = this.o.schemas.decode(data);
    mark('schema-checked');
    const env = (data ?? {}) as { distributionID?: string; senderID?: string; distributionKind?: string };
    if (!decoded.ok) {
      await this.journalIn.add({ distributionId: env.distributionID ?? null, sender: env.senderID ?? null, kind: env.distributionKind ?? null, useCase: null, caseId: null, note: 'non conforme', body, at: now });
      const cause = decoded.errors.slice(0, 5).map((e) => `${e.path} : ${e.message}`).join(' ; ');
      if (!env.distributionID || !env.senderID) return this.quarantine({ distributionID: env.distributionID ?? unreadableId(body), senderID: env.senderID ?? 'inconnu', kind: 'inconnu', useCase: 'inconnu' }, 704, cause, body, false);
      return this.quarantine({ distributionID: env.distributionID, senderID: env.senderID, kind: env.distributionKind ?? 'inconnu', useCase: 'inconnu' }, 704, `message non conforme au modèle : ${cause}`, body, queue === 'message');
    }
    const d = decoded.value;
    const distributionId = d.envelope.distributionID;
    const sender = d.envelope.senderID;
    this.lastIn = { at: now, distributionId, useCase: d.useCase, peer: sender };
    this.o.log('info', 'Hub Santé : message reçu', { distributionId, useCase: d.useCase, from: sender, ...(options.redelivered ? { redelivered: true } : {}) });
    // Journaled with what it causes when that is a writer's commit, apart otherwise (a replay is journaled already).
    const entry: JournalInRow | null = options.replay === undefined ? { distributionId, sender, kind: d.envelope.distributionKind, useCase: d.useCase, caseId: null, note: options.redelivered ? 'redélivré' : null, body, at: now } : null;
    // Messages about one case are applied in the order they arrived (its creation before its updates),
    // answers about one of our messages too; different cases go in parallel.
    const p = d.payload as { caseId?: unknown; appointmentId?: unknown; distributionID?: unknown; referencedDistributionID?: unknown };
    const key = [p.caseId, p.appointmentId, d.useCase === 'reference' ? p.distributionID : undefined, d.useCase === 'error' ? p.referencedDistributionID : undefined].find((k) => typeof k === 'string') ?? distributionId;
    return this.inOrder(key as string, () => this.apply(d, body, now, options, entry));
  }

  private readonly chains = new Map<string, Promise<unknown>>();

  /** Run `fn` after everything already queued under `key` (a per-case queue, forgotten once empty). */
  private inOrder<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.chains.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private async apply(d: DecodedMessage, body: string, now: number, options: { replay?: number; redelivered?: boolean }, entry: JournalInRow | null): Promise<Outcome> {
    const distributionId = d.envelope.distributionID;
    const sender = d.envelope.senderID;
    if (d.useCase === 'reference') return this.onAck(d, now, entry);
    if (d.useCase === 'error') return this.onError(d, now, entry);
    /** What is not a writer's commit is journaled beside it. */
    const apart = async (outcome: Promise<Outcome>): Promise<Outcome> => (await Promise.all([this.journalApart(entry), outcome]))[1];
    const ref = { distributionID: distributionId, senderID: sender, kind: d.envelope.distributionKind, useCase: d.useCase };
    const c = this.o.config;
    if (sender !== c.samu.id && sender !== c.sas.id) return apart(this.quarantine(ref, 703, `expéditeur inconnu de ce centre : ${sender}`, body, true));
    if (d.useCase === 'appointment') return apart(this.onAppointment(d, body, now));
    const payload = d.payload as Record<string, unknown>;
    const hubCaseId = String(payload.caseId ?? '');
    if (d.useCase !== 'createCaseHealth' && d.useCase !== 'createCaseHealthUpdate' && !payload.caseId) return apart(this.quarantine(ref, 700, `cas d’usage non pris en charge : ${d.useCase}`, body, true));
    const message = { distributionId, senderId: sender, useCase: d.useCase, sentAt: d.envelope.dateTimeSent, payload };
    let caseId: string;
    let command: CaseCommand;
    if (d.useCase === 'createCaseHealth') {
      caseId = this.receivedCaseId(hubCaseId);
      const { line, ...fields } = createCaseHealthToFields(payload);
      command = {
        type: 'hub_open',
        line: line ?? '15',
        fields: validFields(fields),
        notes: createCaseHealthUpdateToChanges(payload).notes,
        link: { caseId: hubCaseId, peer: sender, ...(sender === c.samu.id && c.samu.name ? { peerName: c.samu.name } : {}), owner: String(payload.owner ?? sender), ours: c.clientId },
        message,
      };
    } else {
      const found = await this.caseOf(hubCaseId);
      if (!found) return apart(this.quarantine(ref, 702, `message pour un dossier inconnu (${hubCaseId}) : le dossier doit arriver d’abord`, body, true));
      caseId = found;
      // Another use case about a shared case (resources engaged, their status…): we do not model it,
      // it is kept with the case as received (and shown), and acknowledged.
      const u = d.useCase === 'createCaseHealthUpdate' ? createCaseHealthUpdateToChanges(payload) : { changes: {}, notes: [] };
      command = { type: 'hub_update', changes: validFields(u.changes), notes: u.notes, ...(u.owner ? { owner: u.owner } : {}), ours: c.clientId, message };
    }
    mark('mapped-to-command');
    const writer = await this.o.writer();
    const mutationId = uuidFrom(`${c.tenant}|${distributionId}${options.replay ? `|replay|${options.replay}` : ''}`);
    const hubMessage: HubSubmission = { kind: 'message', decoded: d, body, at: now, entry: entry && { ...entry, caseId } };
    const [{ verdict, fresh }] = (await writer.submitWithOrigin([
      {
        mutation: { id: mutationId, caseId, command, clientTime: now, localSeq: 1 },
        actor: { userId: `hub:${sender}`, displayName: sender === c.samu.id ? (c.samu.name ?? sender) : sender, role: 'hub' },
        workstationId: 'hubsante',
        hubMessage,
        // A first delivery is new but for a rare crash between our commit and the AMQP ack.
        likelyNew: !options.redelivered && options.replay === undefined,
      },
    ])) as [Decided];
    // Integrated before (a redelivery): its verdict stands, answered once already; journaled again.
    if (!fresh) return apart(Promise.resolve('duplicate'));
    if (verdict.status === 'rejected') {
      // The writer committed the RS-ERROR, the journal entry and the quarantine with the refusal.
      if (options.replay !== undefined) await this.inbox(this.o.db, ref, caseId, 'quarantined', codeFor(verdict.error), verdict.error?.message ?? null, body, options.replay);
      this.o.onChange?.();
      return 'quarantined';
    }
    if (options.replay !== undefined) await this.inbox(this.o.db, ref, caseId, 'replayed', null, null, body, options.replay);
    return 'applied';
  }

  /** Our id of a case the partner created: the same Hub case always gives the same case. */
  private receivedCaseId(hubCaseId: string): string {
    return uuidFrom(`case|${this.o.config.tenant}|${hubCaseId}`);
  }

  /** The case a Hub case id designates: one the partner sent us, or one we sent (our messages, not our answers). */
  private async caseOf(hubCaseId: string): Promise<string | null> {
    const received = this.receivedCaseId(hubCaseId);
    const { rows } = await this.o.db.query<{ id: string }>(
      `SELECT id FROM cases WHERE tenant = $1 AND id = $2
       UNION ALL SELECT case_id AS id FROM hub_outbox WHERE tenant = $1 AND hub_case_id = $3 AND case_id IS NOT NULL AND answers IS NULL
       LIMIT 1`,
      [this.o.config.tenant, received, hubCaseId],
    );
    return rows[0]?.id ?? null;
  }

  private async inbox(q: Queryable, ref: { distributionID: string; senderID: string; kind: string; useCase: string }, caseId: string | null, status: 'applied' | 'quarantined' | 'replayed' | 'recorded', code: number | null, cause: string | null, body: string, replay?: number): Promise<boolean> {
    const now = this.now();
    if (replay !== undefined) {
      await q.query(`UPDATE hub_inbox SET status = $3, error_code = $4, error_cause = $5, updated_at = $6, replays = replays + 1, case_id = COALESCE($7, case_id) WHERE tenant = $1 AND distribution_id = $2`, [this.o.config.tenant, ref.distributionID, status, code, cause, now, caseId]);
      return true;
    }
    const { rows } = await q.query(
      `INSERT INTO hub_inbox (tenant, distribution_id, sender, kind, use_case, case_id, status, error_code, error_cause, received_at, updated_at, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) ON CONFLICT (tenant, distribution_id) DO NOTHING RETURNING 1`,
      [this.o.config.tenant, ref.distributionID, ref.senderID, ref.kind, ref.useCase, caseId, status, code, cause, now, body],
      'hub-inbox-insert',
    );
    return rows.length > 0;
  }

  /** Refuse a message we cannot integrate: kept in quarantine, answered once with an RS-ERROR. */
  private async quarantine(ref: { distributionID: string; senderID: string; kind: string; useCase: string }, code: HubErrorCode, cause: string, body: string, answer: boolean): Promise<'quarantined'> {
    const now = this.now();
    this.o.log('warn', 'Hub Santé : message mis en quarantaine', { distributionId: ref.distributionID, sender: ref.senderID, code, cause });
    await this.o.db.transaction(async (tx) => {
      const fresh = await this.inbox(tx, ref, null, 'quarantined', code, cause, body);
      if (!fresh || !answer) return;
      const out = errorOf({ distributionID: ref.distributionID, senderID: ref.senderID }, code, cause, this.ours(now));
      await this.insertOutbox(tx, [this.row(out, { label: 'Erreur renvoyée au partenaire', caseId: null, hubCaseId: null, link: null, answers: ref.distributionID }, now)]);
    });
    this.o.onChange?.();
    this.wake(true);
    return 'quarantined';
  }

  private async insertOutbox(q: Queryable, rows: OutboxRow[]): Promise<void> {
    for (const r of rows) {
      await q.query(
        `INSERT INTO hub_outbox (tenant, distribution_id, recipient, kind, use_case, label, case_id, hub_case_id, link, body, created_at, expires_at, state, error_cause, answers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (tenant, distribution_id) DO NOTHING`,
        [this.o.config.tenant, r.distributionId, r.recipient, r.kind, r.useCase, r.label, r.caseId, r.hubCaseId, r.link, r.body, r.createdAt, r.expiresAt, r.state, r.errorCause, r.answers],
      );
    }
  }

  /** An RC-REF of the partner: a step of one of our messages. */
  private async onAck(d: DecodedMessage, now: number, entry: JournalInRow | null): Promise<'recorded'> {
    const p = d.payload as { distributionID: string; refused?: boolean; step?: 'RECU' | 'ERREUR' | 'INTEGRE' | 'CONSULTE' | 'SUPPRIME' };
    await this.step(p.distributionID, { type: 'ack', at: now, ...(p.step ? { step: p.step } : {}), ...(p.refused !== undefined ? { refused: p.refused } : {}) }, entry);
    return 'recorded';
  }

  /** An RS-ERROR (the Hub's 100–600, or the partner's 700–704) about one of our messages. */
  private async onError(d: DecodedMessage, now: number, entry: JournalInRow | null): Promise<'recorded'> {
    const p = d.payload as { errorCode: { statusCode: number; statusString?: string }; errorCause?: string; referencedDistributionID?: string };
    this.o.log('warn', 'Hub Santé : erreur reçue', { from: d.envelope.senderID, code: p.errorCode.statusCode, cause: p.errorCause, referenced: p.referencedDistributionID });
    if (p.referencedDistributionID) await this.step(p.referencedDistributionID, { type: 'error', at: now, code: p.errorCode.statusCode, cause: (p.errorCause ?? p.errorCode.statusString ?? '').slice(0, 2000) }, entry);
    else await this.journalApart(entry);
    return 'recorded';
  }

  /**
   * The partner's answer moves one of our messages forward: the outbox row, the case's timeline
   * and the journal entry of the answer in one writer's commit, nothing read first (the answers
   * about one message come one after the other, see `receive`).
   */
  private async step(distributionId: string, e: DeliveryEvent, entry: JournalInRow | null): Promise<void> {
    const t = await this.trackedOf(distributionId);
    const before = t?.delivery;
    const after = before && applyDelivery(before, e);
    if (!t || !before || !after || (after.state === before.state && JSON.stringify(after.at) === JSON.stringify(before.at))) {
      await this.journalApart(entry);
      return;
    }
    const step: OutboxStep = { distributionId, state: after.state, steps: JSON.stringify(after.at), errorCode: after.error?.code ?? null, errorCause: after.error?.cause ?? null };
    const r = t.row;
    let written = false;
    if (r.case_id && r.link && !r.answers) {
      const item = this.deliveryOf({ ...r, distribution_id: distributionId }, `${after.state}|${e.type}`, { state: after.state, steps: after.at, ...(after.error ? { error: after.error } : {}) });
      const writer = await this.o.writer();
      const [decided] = await writer.submitWithOrigin([{ ...this.deliverySubmission(item, 1, this.now()), likelyNew: true, hubMessage: { kind: 'step', step, entry: entry && { ...entry, caseId: r.case_id } } satisfies HubSubmission }]);
      written = decided!.fresh;
      if (decided!.fresh && decided!.verdict.status === 'rejected') this.o.log('warn', 'Hub Santé : étape de livraison non inscrite au dossier', { error: decided!.verdict.error?.message });
    }
    if (!written) {
      await Promise.all([
        this.o.db.query('UPDATE hub_outbox SET state = $3, steps = $4, error_code = $5, error_cause = $6 WHERE tenant = $1 AND distribution_id = $2', [this.o.config.tenant, distributionId, step.state, step.steps, step.errorCode, step.errorCause], 'hub-outbox-step-write'),
        this.journalApart(entry),
      ]);
    }
    // Committed: memory moves forward too (from where it stands now: a confirm may have come meanwhile).
    t.delivery = applyDelivery(t.delivery, e);
    this.o.onChange?.();
  }

  /** An appointment booked by the SAS platform (RS-SAS-RDV): listed until a regulator links it to a case. */
  private async onAppointment(d: DecodedMessage, body: string, now: number): Promise<'applied' | 'duplicate'> {
    const a = d.payload as { appointmentId: string; method: string; status?: string; start?: string };
    const ref = { distributionID: d.envelope.distributionID, senderID: d.envelope.senderID, kind: d.envelope.distributionKind, useCase: d.useCase };
    const start = a.start ? Date.parse(a.start) : NaN;
    const fresh = await this.o.db.transaction(async (tx) => {
      if (!(await this.inbox(tx, ref, null, 'applied', null, null, body))) return false;
      // An update of an appointment we never saw is a creation (the Hub's rule for RS-SAS-RDV).
      await tx.query(
        `INSERT INTO hub_appointments (tenant, appointment_id, data, status, start_at, received_at, updated_at, last_distribution_id)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
         ON CONFLICT (tenant, appointment_id) DO UPDATE SET data = EXCLUDED.data, status = EXCLUDED.status, start_at = EXCLUDED.start_at,
           updated_at = EXCLUDED.updated_at, last_distribution_id = EXCLUDED.last_distribution_id`,
        [this.o.config.tenant, a.appointmentId, JSON.stringify(a), a.status ?? null, Number.isNaN(start) ? null : start, now, ref.distributionID],
      );
      await this.insertOutbox(tx, [this.row(ackOf(d, this.ours(now), { step: 'INTEGRE' }), { label: 'Accusé de réception (rendez-vous SAS)', caseId: null, hubCaseId: null, link: null, answers: ref.distributionID }, now)]);
      return true;
    });
    this.wake(true);
    this.o.onChange?.();
    return fresh ? 'applied' : 'duplicate';
  }

  // ---- what supervisors and regulators read ---------------------------------------------------

  async status(): Promise<HubStatus> {
    const tenant = this.o.config.tenant;
    const [{ rows: waiting }, { rows: counts }] = await Promise.all([
      this.o.db.query<{ distribution_id: string; recipient: string; label: string; case_id: string | null; created_at: number; state: string; overdue: boolean; attempts: number }>(
        `SELECT distribution_id, recipient, label, case_id, created_at, state, overdue, attempts FROM hub_outbox
          WHERE tenant = $1 AND answers IS NULL AND state IN ('pending', 'published', 'received') ORDER BY id LIMIT 100`,
        [tenant],
      ),
      this.o.db.query<{ pending: number; quarantined: number; invalid: number }>(
        `SELECT (SELECT count(*)::int FROM hub_outbox WHERE tenant = $1 AND state = 'pending') AS pending,
                (SELECT count(*)::int FROM hub_inbox WHERE tenant = $1 AND status = 'quarantined') AS quarantined,
                (SELECT count(*)::int FROM hub_outbox WHERE tenant = $1 AND state = 'invalid') AS invalid`,
        [tenant],
      ),
    ]);
    const c = this.o.config;
    return {
      clientId: c.clientId,
      vhost: c.vhost,
      state: this.link.state,
      lastError: this.link.lastError,
      connectedAt: this.link.connectedAt,
      lastIn: this.lastIn,
      lastOut: this.lastOut,
      waiting: waiting.map((w) => ({ distributionId: w.distribution_id, recipient: w.recipient, label: w.label, caseId: w.case_id, createdAt: Number(w.created_at), state: w.state, overdue: w.overdue, attempts: w.attempts })),
      pending: counts[0]?.pending ?? 0,
      quarantined: counts[0]?.quarantined ?? 0,
      invalid: counts[0]?.invalid ?? 0,
      samu: { id: c.samu.id, ...(c.samu.name ? { name: c.samu.name } : {}) },
      sas: { id: c.sas.id, ...(c.sas.name ? { name: c.sas.name } : {}) },
      ackAlertSeconds: c.ackAlertSeconds,
    };
  }

  async quarantined(): Promise<QuarantineItem[]> {
    const { rows } = await this.o.db.query<{ distribution_id: string; sender: string; use_case: string; kind: string; error_code: number | null; error_cause: string | null; received_at: number; replays: number; body: string }>(
      `SELECT distribution_id, sender, use_case, kind, error_code, error_cause, received_at, replays, body FROM hub_inbox
        WHERE tenant = $1 AND status = 'quarantined' ORDER BY received_at DESC LIMIT 200`,
      [this.o.config.tenant],
    );
    return rows.map((r) => ({ distributionId: r.distribution_id, sender: r.sender, useCase: r.use_case, kind: r.kind, errorCode: r.error_code, errorCause: r.error_cause, receivedAt: Number(r.received_at), replays: r.replays, body: safeJson(r.body) }));
  }

  /** Apply a quarantined message again (its case has arrived since, a configuration was fixed). */
  async replay(distributionId: string): Promise<'applied' | 'quarantined' | 'not_found'> {
    const { rows } = await this.o.db.query<{ body: string; replays: number; status: string }>('SELECT body, replays, status FROM hub_inbox WHERE tenant = $1 AND distribution_id = $2', [this.o.config.tenant, distributionId]);
    const r = rows[0];
    if (!r || r.status !== 'quarantined') return 'not_found';
    const outcome = await this.receive('message', r.body, { replay: r.replays + 1 });
    if (outcome === 'quarantined') {
      // A new refusal is answered by the writer; count the attempt.
      await this.o.db.query('UPDATE hub_inbox SET replays = replays + 1, updated_at = $3 WHERE tenant = $1 AND distribution_id = $2 AND status = $4', [this.o.config.tenant, distributionId, this.now(), 'quarantined']);
    }
    this.o.onChange?.();
    return outcome === 'quarantined' ? 'quarantined' : 'applied';
  }

  async appointments(): Promise<HubAppointment[]> {
    const { rows } = await this.o.db.query<{ appointment_id: string; status: string | null; start_at: number | null; case_id: string | null; linked_by: string | null; received_at: number; updated_at: number; data: string }>(
      `SELECT appointment_id, status, start_at, case_id, linked_by, received_at, updated_at, data FROM hub_appointments
        WHERE tenant = $1 ORDER BY (case_id IS NULL) DESC, start_at DESC NULLS LAST LIMIT 300`,
      [this.o.config.tenant],
    );
    return rows.map((r) => ({ appointmentId: r.appointment_id, status: r.status, startAt: r.start_at === null ? null : Number(r.start_at), caseId: r.case_id, linkedBy: r.linked_by, receivedAt: Number(r.received_at), updatedAt: Number(r.updated_at), data: JSON.parse(r.data) }));
  }

  /** A regulator attaches an appointment to a case (the note goes into the case's timeline). */
  async linkAppointment(appointmentId: string, caseId: string, actor: Actor): Promise<'linked' | 'not_found' | 'case_not_found'> {
    const tenant = this.o.config.tenant;
    const { rows } = await this.o.db.query<{ data: string }>('SELECT data FROM hub_appointments WHERE tenant = $1 AND appointment_id = $2', [tenant, appointmentId]);
    if (!rows[0]) return 'not_found';
    const a = JSON.parse(rows[0].data) as { start?: string; practitioner?: { lastName?: string; firstName?: string }; organization?: { name?: string }; status?: string };
    const who = [a.practitioner?.firstName, a.practitioner?.lastName].filter(Boolean).join(' ') || a.organization?.name || 'effecteur';
    const writer = await this.o.writer();
    const now = this.now();
    const [v] = (await writer.submit([
      { mutation: { id: uuidv7(), caseId, command: { type: 'add_note', text: `Rendez-vous SAS ${appointmentId} lié au dossier : ${who}${a.start ? `, ${a.start}` : ''}${a.status ? ` (${a.status})` : ''}` }, clientTime: now, localSeq: 1 }, actor, workstationId: 'hubsante' },
    ])) as [Verdict];
    if (v.status === 'rejected') return 'case_not_found';
    await this.o.db.query('UPDATE hub_appointments SET case_id = $3, linked_by = $4 WHERE tenant = $1 AND appointment_id = $2', [tenant, appointmentId, caseId, actor.displayName]);
    this.o.onChange?.();
    return 'linked';
  }

  /** Every message of a case in and out, verbatim (the original message a case came from, for instance). */
  async journalOf(caseId: string): Promise<HubJournalEntry[]> {
    const tenant = this.o.config.tenant;
    const { rows } = await this.o.db.query<{ at: number; direction: 'in' | 'out'; distribution_id: string | null; use_case: string | null; note: string | null; body: string }>(
      `SELECT j.at, j.direction, j.distribution_id, j.use_case, j.note, j.body FROM hub_journal j
        WHERE j.tenant = $1 AND (j.case_id = $2 OR j.distribution_id IN (SELECT distribution_id FROM hub_inbox WHERE tenant = $1 AND case_id = $2))
        ORDER BY j.seq LIMIT 500`,
      [tenant, caseId],
    );
    return rows.map((r) => ({ at: Number(r.at), direction: r.direction, distributionId: r.distribution_id, useCase: r.use_case, note: r.note, body: safeJson(r.body) }));
  }
}

/** Every partner case goes through it (a burst of them at once): compiled, zod deciding what it refuses. */
const checkFields = compiledSchema(ScreeningFieldsSchema);

/**
 * Only what our case model accepts goes into the case (a workstation validates every event it
 * receives); a field the partner filled another way stays in the original message, shown with it.
 */
export function validFields(fields: ScreeningFields): ScreeningFields {
  // Most messages are all valid: one check instead of one per field.
  const whole = checkFields(fields);
  if (whole.success) return whole.data;
  const shape = ScreeningFieldsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const r = shape[k]?.safeParse(v);
    if (r?.success) out[k] = r.data;
  }
  return out as ScreeningFields;
}

/** The key under which a message without a readable distributionID is kept in quarantine. */
const unreadableId = (body: string) => `illisible-${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

