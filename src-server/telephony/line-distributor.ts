/**
 * The call distributor of the center's lines: Kamailio parks each call to a line (the caller hears
 * the announcement) and tells this service over evapi; the service keeps the queue in PostgreSQL,
 * knows the agents' states, and names the agent whose phone rings next (domain/line-queue.ts
 * decides). An agent who lets it ring out is set "Absent" and the call is offered to another; a
 * caller who hangs up before being answered goes on the callback list. The queue survives a
 * restart of this process: the parked transactions live in Kamailio, their references here.
 */
import { TZDate } from '@date-fns/tz';
import { startOfDay } from 'date-fns';
import { chooseOffers, lineOpen, overflowsToMessage, ringMsOf, summarizeQueue, type LineSettings, type ParkedCall, type QueueAgent } from '../../src-shared/domain/line-queue.js';
import type { Role } from '../../src-shared/domain/codes.js';
import type { LinesStatus } from '../../src-shared/schemas/lines.js';
import type { SqlDatabase } from '../db/sql.js';
import { CallbackList } from './callbacks.js';
import { EvapiLink, type LineEvent } from './evapi-link.js';
import { RecordingStore, type RecordingSettings } from './recordings.js';

export interface TelephonyConfig {
  /** Kamailio's evapi socket. */
  evapi: { host: string; port: number };
  lines: LineSettings[];
  /** Longest wait in the queue before the call is released to the callback list (seconds, default 600). */
  maxWaitSeconds?: number;
  /**
   * A waiting caller's operator gets a provisional response again this often (seconds, default 60):
   * operators and their border controllers cut an INVITE left without one for a few minutes.
   */
  progressSeconds?: number;
  /** Where rtpengine spools the recordings, where they are kept (encrypted), the key, the retention. */
  recording?: RecordingSettings;
}

interface LiveCall extends ParkedCall {
  tenant: string;
  tindex: number;
  tlabel: number;
  caller: string;
  /** When the caller's side last got a provisional response (the 183 at arrival, then the refreshes). */
  progressAt?: number;
}

export interface DistributorHooks {
  db: SqlDatabase;
  now: () => number;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void;
  /** Recordings past their retention were deleted: the account audit says which. */
  purged?(tenant: string, ids: string[]): Promise<void>;
  /** Sets an agent who let an offered call ring out to "Absent" (a pause with its reason). */
  markAbsent(tenant: string, userId: string): Promise<void>;
  /** The queue or the callback list changed: tell the workstations. */
  changed(tenant: string): void;
  timeZone(tenant: string): Promise<string>;
  /** Whether the center is in a PDSA period at this instant (its calendar and rules). */
  inPdsa(tenant: string, at: number): Promise<boolean>;
}

/** After an agent's ring time, how long an offer may stay without news before it is made again. */
const STALE_OFFER_MARGIN_MS = 15_000;

/** Reply codes that mean the agent's phone rang and nobody took the call, refused it, or could not be reached (404). */
const NOT_ANSWERED = new Set([404, 408, 480, 486, 600, 603]);

export class LineDistributor {
  readonly lines: ReadonlyMap<string, LineSettings>;
  readonly callbacks: CallbackList;
  readonly recordings: RecordingStore | null;
  private lastPurge = 0;
  private collecting: Promise<unknown> = Promise.resolve();
  private readonly link: EvapiLink;
  private readonly calls = new Map<string, LiveCall>();
  /** Agents who answered a line call, until their state changes after it (the workstation says busy). */
  private readonly engaged = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private tick: NodeJS.Timeout | null = null;
  private readonly maxWaitMs: number;
  private readonly progressMs: number;
  /** Calls hearing a final message (closed line, overflow): ended at `at` (kept in line_calls too). */
  private readonly endings = new Map<string, { tindex: number; tlabel: number; at: number }>();

  constructor(
    private readonly config: TelephonyConfig,
    private readonly hooks: DistributorHooks,
  ) {
    this.lines = new Map(config.lines.map((l) => [l.number, l]));
    this.callbacks = new CallbackList(hooks.db, this.lines, hooks.now);
    this.maxWaitMs = (config.maxWaitSeconds ?? 600) * 1000;
    this.progressMs = (config.progressSeconds ?? 60) * 1000;
    this.recordings = config.recording ? new RecordingStore(hooks.db, config.recording, hooks.now, hooks.log) : null;
    this.link = new EvapiLink({
      ...config.evapi,
      log: hooks.log,
      onConnected: () => this.serial(() => this.connected()),
      onEvent: (event) => this.serial(() => this.onEvent(event)),
    });
  }

  tenants(): string[] {
    return [...new Set(this.config.lines.map((l) => l.tenant))];
  }

  async start(): Promise<void> {
    // Calls parked before a restart: they are still in Kamailio (or gone, which it will say).
    const { rows } = await this.hooks.db.query<{ tenant: string; call_id: string; line: string; caller: string; arrived_at: string; tindex: string; tlabel: string; state: string; offered_to: string[] | null; offered_at: string | null; declined_by: string[] }>(
      "SELECT tenant, call_id, line, caller, arrived_at, tindex, tlabel, state, offered_to, offered_at, declined_by FROM line_calls WHERE state IN ('waiting', 'offered')",
    );
    for (const r of rows) {
      if (!this.lines.has(r.line)) continue;
      this.calls.set(r.call_id, {
        tenant: r.tenant,
        callId: r.call_id,
        line: r.line,
        from: r.caller,
        caller: r.caller,
        arrivedAt: Number(r.arrived_at),
        tindex: Number(r.tindex),
        tlabel: Number(r.tlabel),
        offeredTo: r.state === 'offered' ? (r.offered_to ?? []) : [],
        offeredAt: r.offered_at === null ? null : Number(r.offered_at),
        declinedBy: r.declined_by,
      });
    }
    // Calls that were hearing a final message when the previous process stopped: ended when it is over.
    const { rows: endings } = await this.hooks.db.query<{ call_id: string; tindex: string; tlabel: string; message_ends_at: string }>(
      'SELECT call_id, tindex, tlabel, message_ends_at FROM line_calls WHERE message_ends_at IS NOT NULL',
    );
    for (const r of endings) this.endings.set(r.call_id, { tindex: Number(r.tindex), tlabel: Number(r.tlabel), at: Number(r.message_ends_at) });
    this.link.start();
    this.tick = setInterval(() => void this.serial(() => this.periodic()), 1_000);
  }

  /** An agent's state changed: a free agent may take a waiting call. */
  agentsChanged(tenant: string): void {
    void this.serial(() => this.dispatch(tenant));
  }

  async status(tenant: string): Promise<LinesStatus> {
    const now = this.hooks.now();
    const waiting = [...this.calls.values()].filter((c) => c.tenant === tenant);
    const midnight = startOfDay(new TZDate(now, await this.hooks.timeZone(tenant))).getTime();
    const figures = await this.callbacks.figures(tenant, midnight);
    const { rows: failed } = await this.hooks.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM line_calls WHERE tenant = $1 AND arrived_at >= $2 AND recording = 'failed')
            + (SELECT count(*) FROM recorded_calls WHERE tenant = $1 AND answered_at >= $2 AND recording = 'failed') AS n`,
      [tenant, midnight],
      'line-recording-failed',
    );
    return {
      enabled: true,
      connected: this.link.isConnected,
      lines: summarizeQueue(waiting, this.lines, tenant, now),
      callbacksOpen: figures.open,
      oldestCallbackAt: figures.oldestAt,
      receivedToday: figures.received,
      abandonedToday: figures.abandoned,
      recordingFailuresToday: Number(failed[0]!.n),
    };
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    this.link.stop();
    await this.chain.catch(() => {});
    await this.collecting.catch(() => {});
  }

  /** Events are handled one at a time, in the order Kamailio sent them. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn).catch((error: unknown) => this.hooks.log('error', 'line distributor', { error: (error as Error).message }));
    this.chain = run;
    return run;
  }

  private async connected(): Promise<void> {
    for (const line of this.lines.values()) this.link.send({ action: 'line', number: line.number, announcement: line.announcement, record: line.record !== false });
    // Offers made before the link dropped may never have reached Kamailio: the agents' phones
    // that ring report back; the calls still waiting are offered again.
    for (const tenant of this.tenants()) await this.dispatch(tenant);
  }

  private async onEvent(event: LineEvent): Promise<void> {
    const now = this.hooks.now();
    const db = this.hooks.db;
    switch (event.event) {
      case 'queued': {
        const line = this.lines.get(event.line);
        if (!line) {
          this.link.send({ action: 'reject', tindex: event.tindex, tlabel: event.tlabel, code: 404 });
          return;
        }
        if (!lineOpen(line, await this.hooks.inPdsa(line.tenant, now))) {
          // Outside the line's hours: its message (the 15 for a vital emergency), then the end.
          await db.query(
            `INSERT INTO line_calls (tenant, call_id, line, caller, hub_case, arrived_at, tindex, tlabel, state, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'refused', $6)
             ON CONFLICT (tenant, call_id) DO NOTHING`,
            [line.tenant, event.callid, line.number, event.from, event.hubCase || null, now, event.tindex, event.tlabel],
          );
          if (line.closedAnnouncement) this.link.send({ action: 'play', tindex: event.tindex, tlabel: event.tlabel, announcement: line.closedAnnouncement });
          else this.link.send({ action: 'reject', tindex: event.tindex, tlabel: event.tlabel, code: 480 });
          this.hooks.log('info', 'call outside the line’s hours', { callId: event.callid, line: line.number });
          return;
        }
        const call: LiveCall = {
          tenant: line.tenant,
          callId: event.callid,
          line: line.number,
          from: event.from,
          caller: event.from,
          arrivedAt: now,
          tindex: event.tindex,
          tlabel: event.tlabel,
          offeredTo: [],
          offeredAt: null,
          declinedBy: [],
        };
        await db.query(
          `INSERT INTO line_calls (tenant, call_id, line, caller, hub_case, arrived_at, tindex, tlabel, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting')
           ON CONFLICT (tenant, call_id) DO UPDATE SET tindex = EXCLUDED.tindex, tlabel = EXCLUDED.tlabel, state = 'waiting'`,
          [line.tenant, call.callId, line.number, call.caller, event.hubCase || null, now, event.tindex, event.tlabel],
        );
        this.calls.set(call.callId, call);
        await this.dispatch(line.tenant);
        this.hooks.changed(line.tenant);
        return;
      }
      case 'abandon': {
        const call = this.calls.get(event.callid);
        if (call) await this.abandon(call, now);
        return;
      }
      case 'playing': {
        // The closed line's (or the overflow's) message plays; the call ends once it is over, even
        // if this process stops meanwhile (the end is in the database, see periodic()).
        const at = now + Math.max(0, event.announceMs) + 500;
        await db.query('UPDATE line_calls SET message_ends_at = $2 WHERE call_id = $1', [event.callid, at]);
        this.endings.set(event.callid, { tindex: event.tindex, tlabel: event.tlabel, at });
        const end = setTimeout(() => void this.serial(() => this.endMessages()), at - now);
        end.unref();
        return;
      }
      case 'gone': {
        // A decision about a call Kamailio no longer holds: its caller left while this process was away.
        const call = [...this.calls.values()].find((c) => c.tindex === event.tindex && c.tlabel === event.tlabel);
        if (call) await this.abandon(call, now);
        return;
      }
      case 'answered': {
        const call = this.calls.get(event.callid);
        const tenant = call?.tenant;
        this.calls.delete(event.callid);
        this.engaged.set(event.agent, now);
        const { rows } = await db.query<{ tenant: string }>(
          `UPDATE line_calls SET state = 'answered', answered_by = $2, answered_at = $3, offered_to = NULL, caller_media = $4, recording = $5
           WHERE call_id = $1 AND state IN ('waiting', 'offered') RETURNING tenant`,
          [event.callid, event.agent, now, event.callerMedia, this.recordings && this.lines.get(call?.line ?? '')?.record !== false ? 'recording' : 'none'],
        );
        const t = tenant ?? rows[0]?.tenant;
        if (t) {
          this.hooks.changed(t);
          // On a ring-all line, the other phones that rang for it are free again for the next call.
          if (call && call.offeredTo.length > 1) await this.dispatch(t);
        }
        return;
      }
      case 'recording': {
        // A bridged call outside the queue: filed under the center of its user (either side may be one).
        if (!this.recordings) return;
        const { rows } = await db.query<{ tenant: string; sip_username: string }>(
          'SELECT tenant, sip_username FROM users WHERE sip_username = ANY($1::text[]) AND tenant = ANY($2::text[]) ORDER BY sip_username = $3 DESC LIMIT 1',
          [[event.agent, event.patient], this.tenants(), event.agent],
        );
        const user = rows[0];
        if (!user) {
          this.hooks.log('warn', 'recorded call of no center here', { callId: event.callid });
          return;
        }
        await db.query(
          `INSERT INTO recorded_calls (tenant, call_id, caller, agent, caller_media, answered_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, call_id) DO NOTHING`,
          [user.tenant, event.callid, event.patient, event.agent, event.callerMedia, now],
        );
        return;
      }
      case 'ended': {
        await db.query(`UPDATE line_calls SET state = 'ended', ended_at = $2 WHERE call_id = $1 AND state = 'answered'`, [event.callid, now]);
        await db.query('UPDATE recorded_calls SET ended_at = $2 WHERE call_id = $1 AND ended_at IS NULL', [event.callid, now]);
        // rtpengine closes the recording as the BYE goes through: take it soon.
        if (this.recordings) setTimeout(() => this.collectRecordings(), 300).unref();
        return;
      }
      case 'recording-failed': {
        const { rows } = await db.query<{ tenant: string }>(
          `WITH lines AS (UPDATE line_calls SET recording = 'failed' WHERE call_id = $1 RETURNING tenant),
                others AS (UPDATE recorded_calls SET recording = 'failed' WHERE call_id = $1 RETURNING tenant)
           SELECT tenant FROM lines UNION ALL SELECT tenant FROM others`,
          [event.callid],
        );
        this.hooks.log('error', 'recording did not start', { callId: event.callid });
        if (rows[0]) this.hooks.changed(rows[0].tenant);
        return;
      }
      case 'agent-failed': {
        const call = this.calls.get(event.callid);
        if (!call) return;
        call.tindex = event.tindex;
        call.tlabel = event.tlabel;
        call.offeredTo = [];
        call.offeredAt = null;
        for (const agent of event.agents) if (!call.declinedBy.includes(agent)) call.declinedBy.push(agent);
        await db.query(`UPDATE line_calls SET state = 'waiting', offered_to = NULL, offered_at = NULL, tindex = $3, tlabel = $4, declined_by = $5 WHERE tenant = $1 AND call_id = $2`, [
          call.tenant,
          call.callId,
          event.tindex,
          event.tlabel,
          call.declinedBy,
        ]);
        // Every phone that rang and was not picked up (all of them, on a ring-all line nobody answered).
        if (NOT_ANSWERED.has(event.code)) {
          for (const sipUser of event.agents) {
            const agent = await this.agentBySip(call.tenant, sipUser);
            if (agent) await this.hooks.markAbsent(call.tenant, agent);
          }
        }
        this.hooks.log('info', 'offered call not taken', { callId: call.callId, agents: event.agents, code: event.code });
        await this.dispatch(call.tenant);
        this.hooks.changed(call.tenant);
        return;
      }
    }
  }

  private async abandon(call: LiveCall, now: number): Promise<void> {
    this.calls.delete(call.callId);
    await this.hooks.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ call_id: string }>(
        `UPDATE line_calls SET state = 'abandoned', ended_at = $3, offered_to = NULL WHERE tenant = $1 AND call_id = $2 AND state IN ('waiting', 'offered') RETURNING call_id`,
        [call.tenant, call.callId, now],
      );
      if (rows[0]) await this.callbacks.recordAbandon(tx, call.tenant, call.caller, call.line, now, now - call.arrivedAt);
    });
    this.hooks.changed(call.tenant);
  }

  private async agentBySip(tenant: string, sipUser: string): Promise<string | null> {
    const { rows } = await this.hooks.db.query<{ id: string }>('SELECT id FROM users WHERE tenant = $1 AND sip_username = $2', [tenant, sipUser]);
    return rows[0]?.id ?? null;
  }

  private async freeAgents(tenant: string): Promise<QueueAgent[]> {
    const { rows } = await this.hooks.db.query<{ user_id: string; sip_username: string; role: Role; state: string; since: string }>(
      `SELECT a.user_id, u.sip_username, a.role, a.state, a.since FROM agent_states a JOIN users u ON u.tenant = a.tenant AND u.id = a.user_id
       WHERE a.tenant = $1 AND a.state = 'available' AND u.sip_username IS NOT NULL AND u.active`,
      [tenant],
      'line-free-agents',
    );
    const agents: QueueAgent[] = [];
    for (const r of rows) {
      const since = Number(r.since);
      const engagedAt = this.engaged.get(r.sip_username);
      if (engagedAt !== undefined) {
        // Still the state from before the call it answered: the workstation has not said busy yet.
        if (since <= engagedAt) continue;
        this.engaged.delete(r.sip_username);
      }
      agents.push({ userId: r.user_id, sipUser: r.sip_username, role: r.role, freeSince: since });
    }
    return agents;
  }

  private async dispatch(tenant: string): Promise<void> {
    if (!this.link.isConnected) return;
    const now = this.hooks.now();
    const calls = [...this.calls.values()].filter((c) => c.tenant === tenant);
    if (!calls.some((c) => c.offeredTo.length === 0)) return;
    const offers = chooseOffers(calls, await this.freeAgents(tenant), this.lines, now);
    for (const offer of offers) {
      const call = this.calls.get(offer.callId)!;
      const agents = offer.agents.map((a) => a.sipUser);
      if (!this.link.send({ action: 'connect', tindex: call.tindex, tlabel: call.tlabel, agents, ringMs: offer.ringMs, callid: call.callId })) return;
      call.offeredTo = agents;
      call.offeredAt = now;
      await this.hooks.db.query(`UPDATE line_calls SET state = 'offered', offered_to = $3, offered_at = $4 WHERE tenant = $1 AND call_id = $2`, [tenant, call.callId, agents, now]);
      this.hooks.log('info', 'line call offered', { callId: call.callId, agents, waitedMs: now - call.arrivedAt });
    }
  }

  /** One collection at a time (the periodic one and the one after a call's end). */
  collectRecordings(): Promise<unknown> {
    const store = this.recordings;
    if (!store) return Promise.resolve();
    this.collecting = this.collecting
      .then(() => store.collect())
      .then(async () => {
        // A call answered and over for a minute whose recording never came: an alert.
        const { rows } = await this.hooks.db.query<{ tenant: string }>(
          `WITH lines AS (UPDATE line_calls SET recording = 'failed' WHERE recording = 'recording' AND state = 'ended' AND ended_at < $1 RETURNING tenant),
                others AS (UPDATE recorded_calls SET recording = 'failed' WHERE recording = 'recording' AND ended_at < $1 RETURNING tenant)
           SELECT tenant FROM lines UNION ALL SELECT tenant FROM others`,
          [this.hooks.now() - 60_000],
        );
        for (const t of new Set(rows.map((r) => r.tenant))) {
          this.hooks.log('error', 'recording missing after the call ended', { tenant: t, calls: rows.length });
          this.hooks.changed(t);
        }
      })
      .catch((error: unknown) => this.hooks.log('error', 'recordings collection', { error: (error as Error).message }));
    return this.collecting;
  }

  /** Deletes the recordings past the retention, and says which in the account audit. */
  async purgeRecordings(): Promise<number> {
    if (!this.recordings) return 0;
    let n = 0;
    for (const { tenant, ids } of await this.recordings.purgeExpired()) {
      n += ids.length;
      await this.hooks.purged?.(tenant, ids);
      this.hooks.log('info', 'recordings purged', { tenant, count: ids.length });
    }
    return n;
  }

  /** Calls whose final message is over: ended (480), and no longer waited for in the database. */
  private async endMessages(): Promise<void> {
    const now = this.hooks.now();
    for (const [callId, e] of this.endings) {
      if (e.at > now || !this.link.send({ action: 'reject', tindex: e.tindex, tlabel: e.tlabel, code: 480 })) continue;
      this.endings.delete(callId);
      await this.hooks.db.query('UPDATE line_calls SET message_ends_at = NULL WHERE call_id = $1', [callId]);
    }
  }

  private async periodic(): Promise<void> {
    const now = this.hooks.now();
    await this.endMessages();
    if (this.recordings) {
      void this.collectRecordings();
      if (now - this.lastPurge > 3_600_000) {
        this.lastPurge = now;
        await this.purgeRecordings().catch((error: unknown) => this.hooks.log('error', 'recordings purge', { error: (error as Error).message }));
      }
    }
    // A long wait: the caller's operator hears from us again (a 183 with no body; the media goes on).
    // Only while waiting, not ringing an agent: then the transaction is not parked.
    for (const call of this.calls.values()) {
      if (call.offeredTo.length > 0) continue;
      const last = call.progressAt ?? call.arrivedAt;
      if (now - last >= this.progressMs && this.link.send({ action: 'progress', tindex: call.tindex, tlabel: call.tlabel })) call.progressAt = now;
    }
    // Past the line's overflow delay with a message as overflow: the message, then a callback.
    for (const call of [...this.calls.values()]) {
      const line = this.lines.get(call.line);
      if (overflowsToMessage(call, line, now) && this.link.send({ action: 'play', tindex: call.tindex, tlabel: call.tlabel, announcement: line!.overflowMessage! })) {
        this.hooks.log('info', 'waited past the overflow delay: message, then callback', { callId: call.callId, line: call.line });
        await this.abandon(call, now);
      }
    }
    // Waited too long: released (the operator would cut it anyway), and called back.
    for (const call of [...this.calls.values()]) {
      if (call.offeredTo.length === 0 && now - call.arrivedAt >= this.maxWaitMs && this.link.send({ action: 'reject', tindex: call.tindex, tlabel: call.tlabel, code: 480 })) {
        await this.abandon(call, now);
      }
    }
    // An offer whose outcome never came (sent while this process was restarting): offered again;
    // Kamailio says "gone" if the call is no longer parked.
    for (const call of this.calls.values()) {
      const ringMs = ringMsOf(this.lines.get(call.line));
      if (call.offeredTo.length > 0 && call.offeredAt !== null && now - call.offeredAt > ringMs + STALE_OFFER_MARGIN_MS) {
        this.hooks.log('warn', 'offer without outcome, offered again', { callId: call.callId, agents: call.offeredTo });
        call.offeredTo = [];
        call.offeredAt = null;
      }
    }
    // Overflow delays pass, agents' wrap-ups end: offer again.
    for (const tenant of this.tenants()) await this.dispatch(tenant);
  }
}
