/**
 * The workstation's side of sync. The UI never waits for it: local writes are already committed
 * (with their outbox rows) when this runs. It
 *  - pushes the outbox in order, one batch in flight, retried with backoff on a timer, on every
 *    (re)connect and on every new local write (never relying on a single trigger);
 *  - pulls from its cursor (resumable, batched; the cursor commits with the data);
 *  - listens on a WebSocket for pushed events, and pulls when it sees a gap;
 *  - takes a snapshot of current cases on first contact (history loads per case);
 *  - on a new server epoch (restore from backup) keeps its outbox and pushes it again;
 *  - says whether it is online, and since when it is not.
 */
import type { AvailabilityProfile, EffectorRequest } from '../../../src-shared/schemas/effectors.js';
import { redactEvent } from '../../../src-shared/domain/redaction.js';
import WebSocket from 'ws';
import { z } from 'zod';
import type { CallbackEntry, LinesStatus } from '../../../src-shared/schemas/lines.js';
import type { CaseSummary } from '../../../src-shared/schemas/case.js';
import { CenterCallSchema, MAX_CALL_REPORTS_PER_PUSH, type CenterCall } from '../../../src-shared/schemas/call-log.js';
import { MAX_READS_PER_PUSH } from '../../../src-shared/schemas/access-audit.js';
import {
  CaseHistoryResponseSchema,
  CaseSearchResponseSchema,
  LoginResponseSchema,
  MAX_PULL_EVENTS,
  PullResponseSchema,
  PushResponseSchema,
  ServerWsFrameSchema,
  AgentPresenceSchema,
  type AgentPresence,
  type AgentStateRequest,
  type LoginResponse,
  type ServerEvent,
  type Verdict,
} from '../../../src-shared/sync-protocol/messages.js';
import type { CaseStore } from '../store/case-store.js';
import { decodeSnapshotPage } from '../../../src-shared/sync-protocol/snapshot-page.js';
import { jsonOrNull } from '../../../src-shared/validation/json-or-null.js';
import { DirectorySchema, type DirectoryImport } from '../../../src-shared/schemas/directory.js';


export type SyncConnection = 'online' | 'connecting' | 'offline';
export interface SyncStatusView {
  connection: SyncConnection;
  /** When the workstation last lost the server (null while online). */
  offlineSince: number | null;
  lastContactAt: number | null;
  pending: number;
  rejected: number;
  cursor: number;
  lastError: string | null;
  /** The server no longer accepts this session's token (it expired during an outage, or the account changed): log in again. */
  sessionExpired: boolean;
  /** The server instance in use (support details only: the user sees one central server). */
  server: string;
}

/** Said to the user when the server refuses the session: what to do, and that nothing is lost. */
export const SESSION_EXPIRED_MESSAGE =
  'Session expirée sur le serveur : reconnectez-vous. Ce qui a été saisi est gardé sur ce poste et partira sous votre nom.';

export interface SyncClientOptions {
  serverUrl: string;
  /**
   * The center's other server instances (the installation's `serverUrls` after the first): when
   * the one in use cannot be reached, the next is tried; any instance serves any workstation.
   */
  fallbackUrls?: string[];
  store: CaseStore;
  now?: () => number;
  pushBatch?: number;
  pullBatch?: number;
  /** Base and cap of the retry backoff (ms). */
  backoffMs?: [number, number];
  /**
   * The session's role watches the center (a supervisor): what it fetches of a case is kept here
   * redacted, as the server's stream sends it; a whole case is read on demand (caseEvents).
   */
  watching?: boolean;
  onCasesChanged(caseIds: string[]): void;
  onRejected(rejections: { caseId: string; verdict: Verdict }[]): void;
  onStatus(status: SyncStatusView): void;
  /** The duty directory was replaced by a newer one from the server. */
  onDirectoryChanged?(version: number): void;
  /** The center's agents and their states, as the server pushed them. */
  onAgents?(agents: AgentPresence[]): void;
  /** Calls ringing or in progress in the center, as the server pushed them. */
  onCalls?(calls: CenterCall[]): void;
  /** Effectors' availability profiles, as the server pushed them. */
  onAvailability?(profiles: AvailabilityProfile[]): void;
  /** The center's requests to effectors (notification cascade), as the server pushed them. */
  onEffectorRequests?(requests: EffectorRequest[]): void;
  /** The shared agenda changed somewhere in the center. */
  onAgendaChanged?(version: number): void;
  /** The Hub Santé link's state changed on the server. */
  onHubChanged?(version: number): void;
  /** The center's settings changed on the server (an admin): read them again. */
  onSettingsChanged?(what: 'pdsa'): void;
  /** The lines' queues and figures, as the server pushed them. */
  onLines?(status: LinesStatus): void;
  /** The callers to call back, as the server pushed them. */
  onCallbacks?(callbacks: CallbackEntry[]): void;
  /** The logged-in user: only their own offline work is pushed under their token. */
  authorUserId?: string;
  /** Closed cases last changed before this moment are not fetched by a snapshot (the retention). */
  closedSince?: () => number;
}

function snapshotQuery(after: string | null, closedSince: number | undefined): URLSearchParams {
  const q = new URLSearchParams({ limit: '2000' });
  if (after) q.set('after', after);
  if (closedSince !== undefined && closedSince > 0) q.set('closedSince', String(Math.floor(closedSince)));
  return q;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function loginToServer(serverUrl: string, body: { tenant: string; login: string; password: string; workstationId: string; totp?: string }): Promise<LoginResponse> {
  let res: Response;
  try {
    res = await fetch(`${serverUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new HttpError(0, 'unreachable', unreachable(error));
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new HttpError(res.status, json.error?.code ?? 'http_error', json.error?.message ?? `HTTP ${res.status}`);
  return LoginResponseSchema.parse(json);
}

export class SyncClient {
  private token: string;
  private tokenExpiresAt: number;
  private ws: WebSocket | null = null;
  private stopped = false;
  private pushing = false;
  private pushRun: Promise<void> | null = null;
  private pushAgain = false;
  private pulling: Promise<void> | null = null;
  private connection: SyncConnection = 'connecting';
  private offlineSince: number | null = null;
  private lastError: string | null = null;
  private retryDelay: number;
  private readonly backoffRange: [number, number];
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly now: () => number;
  private epochChecked = false;
  /** The realtime socket is open, greeted and caught up: the link is up. */
  private live = false;
  /** This user's socket carries the center's cases (false: an admin, a partner organisation). */
  private caseFeed = true;
  /** A response showed a head behind our cursor: verify before trusting either. */
  private headSuspect = false;
  /** The cache was reset to a new server epoch: push the whole outbox again once resynced. */
  private resetPending = false;
  private serverIndex = 0;

  /** The server instance in use: the first of the installation's, or the next one after a failure. */
  get serverUrl(): string {
    const all = [this.options.serverUrl, ...(this.options.fallbackUrls ?? [])];
    return all[this.serverIndex % all.length]!;
  }

  private nextServer(): void {
    if (this.options.fallbackUrls?.length) this.serverIndex = (this.serverIndex + 1) % (this.options.fallbackUrls.length + 1);
  }

  constructor(
    private readonly options: SyncClientOptions,
    session: { token: string; expiresAt: number },
  ) {
    this.token = session.token;
    this.tokenExpiresAt = session.expiresAt;
    this.now = options.now ?? Date.now;
    this.backoffRange = options.backoffMs ?? [250, 30_000];
    this.retryDelay = this.backoffRange[0];
  }

  start(): void {
    this.connectSocket();
    // The outbox is also retried on a timer: a write made offline is never forgotten.
    const tick = () => {
      if (this.stopped) return;
      void this.push();
      void this.pushCallReports();
      void this.pushReads();
      this.later(tick, 5_000);
    };
    this.later(tick, 5_000);
    this.scheduleRefresh();
  }

  /** Stops every loop and waits for work in flight: nothing touches the cache after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ws?.terminate();
    this.ws = null;
    await Promise.allSettled([this.pulling, this.pushRun, this.callReportsRun, this.readsRun]);
  }

  /** Before a logout: push this user's pending work, waiting at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const end = this.now() + timeoutMs;
    const author = this.options.authorUserId ?? '';
    const left = () =>
      this.options.store.countPendingMutations(this.options.authorUserId) + this.options.store.pendingCallReports(1, author).length + this.options.store.pendingReads(1, author).length;
    while (left() > 0 && this.now() < end && !this.stopped) {
      await Promise.allSettled([this.push(), this.pushCallReports(), this.pushReads()]);
      if (left() > 0) await new Promise((r) => setTimeout(r, 100));
    }
    return left() === 0;
  }

  /** A local write happened: push soon. */
  notifyLocalWrite(): void {
    void this.push();
  }

  status(): SyncStatusView {
    const s = this.options.store.syncState();
    return {
      connection: this.connection,
      offlineSince: this.offlineSince,
      lastContactAt: s.lastContactAt,
      pending: this.options.store.countPendingMutations(),
      rejected: this.options.store.countRejectedMutations(),
      cursor: s.cursorSeq,
      lastError: this.lastError,
      sessionExpired: this.sessionExpired,
      server: this.serverUrl,
    };
  }

  private sessionExpired = false;

  /** The server refused our token: no more retries with it; the user is asked to log in again. */
  private expireSession(): void {
    if (this.sessionExpired) return;
    this.sessionExpired = true;
    this.setConnection('offline', SESSION_EXPIRED_MESSAGE);
    this.options.onStatus(this.status());
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private setConnection(c: SyncConnection, error?: string): void {
    if (c === 'offline' && this.offlineSince === null) this.offlineSince = this.now();
    if (c === 'online') {
      this.offlineSince = null;
      this.lastError = null;
    }
    if (error) this.lastError = error;
    if (c !== this.connection || error) {
      this.connection = c;
      this.options.onStatus(this.status());
    }
  }

  /** The next retry delay, with jitter; doubles up to the cap. */
  private backoff(): number {
    const d = this.retryDelay;
    this.retryDelay = Math.min(this.backoffRange[1], d * 2);
    return d / 2 + Math.random() * (d / 2);
  }

  private resetBackoff(): void {
    this.retryDelay = this.backoffRange[0];
  }

  /** `schema` checks a JSON answer; a function decodes another format (a snapshot page) from the bytes. */
  private async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, schema: z.ZodType<T> | ((body: Uint8Array) => T), body?: unknown, timeoutMs = 15_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.serverUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      this.nextServer();
      throw new HttpError(0, 'unreachable', unreachable(error));
    }
    const bytes = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
    if (res.ok && typeof schema === 'function') return schema(bytes);
    const json = jsonOrNull(new TextDecoder().decode(bytes)) as { error?: { code: string; message: string } } | null;
    if (res.status === 401) {
      this.expireSession();
      throw new HttpError(401, json?.error?.code ?? 'unauthorized', SESSION_EXPIRED_MESSAGE);
    }
    if (!res.ok) {
      const code = json?.error?.code ?? 'http_error';
      throw new HttpError(res.status, code, json?.error?.message ?? `HTTP ${res.status}`);
    }
    return (schema as z.ZodType<T>).parse(json);
  }

  /**
   * A response's epoch is not the one we synced with: the server was restored from a backup and
   * marked so. Forget its state, keep the outbox (pushed again), and start over from its state.
   */
  private checkEpoch(epoch: string): boolean {
    const state = this.options.store.syncState();
    if (state.epoch !== null && state.epoch !== epoch) {
      this.resetToEpoch(epoch);
      return true;
    }
    return false;
  }

  private resetToEpoch(epoch: string): void {
    this.options.store.resetForNewEpoch(epoch);
    this.resetPending = true;
    this.options.onStatus(this.status());
  }

  /**
   * A response says the server's head is behind our cursor. Most often it only raced a newer
   * frame (a push answer computed before events we already got on the socket), so it proves
   * nothing; the next catch-up asks again, and only a head still behind the cursor it read
   * before asking means a server restored without being marked.
   */
  private noteHead(headSeq: number): void {
    if (headSeq < this.options.store.syncState().cursorSeq) {
      this.headSuspect = true;
      this.pullSoon();
    }
  }

  private async verifyHead(): Promise<void> {
    this.headSuspect = false;
    const { cursorSeq } = this.options.store.syncState();
    const res = await this.request('GET', `/api/sync/pull?after=${cursorSeq}&limit=1`, PullResponseSchema);
    if (this.checkEpoch(res.epoch)) return;
    if (res.headSeq < cursorSeq) this.resetToEpoch(res.epoch);
  }

  // ---- push ------------------------------------------------------------------------------

  push(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pushing) {
      this.pushAgain = true;
      return this.pushRun ?? Promise.resolve();
    }
    this.pushing = true;
    this.pushRun = this.doPush();
    return this.pushRun;
  }

  private async doPush(): Promise<void> {
    try {
      for (;;) {
        this.pushAgain = false;
        const batch = this.options.store.pendingMutations(this.options.pushBatch ?? 100, this.options.authorUserId);
        if (batch.length === 0) break;
        const res = await this.request('POST', '/api/sync/push', PushResponseSchema, { mutations: batch });
        if (this.stopped) return;
        if (this.checkEpoch(res.epoch)) {
          this.pullSoon();
          continue;
        }
        this.noteHead(res.headSeq);
        const rejected = this.options.store.recordVerdicts(res.verdicts, this.options.store.syncState().epoch);
        if (rejected.length > 0) {
          this.options.onRejected(rejected);
          this.options.onCasesChanged(rejected.map((r) => r.caseId));
        }
        this.resetBackoff();
        // A failed push may have said offline while the socket stayed up: say it is back.
        if (this.live) this.setConnection('online');
        this.options.onStatus(this.status());
        // The accepted events come back down the stream; if the socket is not there, pull.
        if (!this.ws || this.ws.readyState !== WebSocket.OPEN) this.pullSoon();
      }
    } catch (error) {
      if (this.stopped) return;
      const e = error as HttpError;
      this.setConnection('offline', e.message);
      if (e.status !== 401) this.later(() => void this.push(), this.backoff());
    } finally {
      this.pushing = false;
      this.pushRun = null;
      if (this.pushAgain && !this.stopped) void this.push();
    }
  }

  // ---- pull ------------------------------------------------------------------------------

  /** Pull in the background; a failure shows offline and is retried with backoff. */
  private pullSoon(): void {
    this.catchUp().then(
      () => {
        if (this.live && !this.stopped) this.setConnection('online');
      },
      (error: Error) => {
      if (this.stopped) return;
      this.setConnection('offline', error.message);
      this.later(() => this.pullSoon(), this.backoff());
      },
    );
  }

  /** Snapshot if needed, then pull from the cursor to the head. One at a time. */
  catchUp(): Promise<void> {
    if (!this.pulling) {
      this.pulling = this.doCatchUp().finally(() => {
        this.pulling = null;
      });
    }
    return this.pulling;
  }

  private async doCatchUp(): Promise<void> {
    const store = this.options.store;
    for (;;) {
      if (this.headSuspect) await this.verifyHead();
      if (!store.syncState().snapshotComplete) await this.snapshot();
      if (this.stopped) return;
      if (this.resetPending) {
        this.resetPending = false;
        void this.push();
      }
      const { cursorSeq } = store.syncState();
      const res = await this.request('GET', `/api/sync/pull?after=${cursorSeq}&limit=${this.options.pullBatch ?? MAX_PULL_EVENTS}`, PullResponseSchema);
      if (this.stopped) return;
      if (this.checkEpoch(res.epoch)) continue;
      if (res.headSeq < cursorSeq) {
        this.headSuspect = true;
        continue;
      }
      const last = res.events[res.events.length - 1];
      await this.apply(res.events as ServerEvent[], res.epoch, last ? last.serverSeq : cursorSeq);
      if ((res.events.length === 0 || (last && last.serverSeq >= res.headSeq)) && !this.headSuspect) break;
    }
  }

  private async snapshot(): Promise<void> {
    const store = this.options.store;
    const fetchPage = (after: string | null) =>
      this.request('GET', `/api/sync/snapshot?${snapshotQuery(after, this.options.closedSince?.()).toString()}`, decodeSnapshotPage);
    let page = await fetchPage(null);
    if (this.stopped) return;
    this.checkEpoch(page.epoch);
    const { highWater, epoch } = page;
    for (;;) {
      // Fetch the next page while this one is written: network and disk overlap.
      const next = page.next ? fetchPage(page.next) : null;
      next?.catch(() => {});
      const touched = store.applySnapshot(page.cases, page.epoch);
      if (touched.length) this.options.onCasesChanged(touched);
      if (!next) break;
      page = await next;
      if (this.stopped) return;
    }
    store.completeSnapshot(highWater, epoch, this.now());
  }

  /**
   * A case's whole log from the server, stored with the rest: a case that reached this workstation
   * as a snapshot (the initial sync) holds only the events that came after it.
   */
  /** The server's cases matching a search (those this workstation no longer keeps among them). */
  async searchCases(q: { phone: string } | { name: string }, limit: number): Promise<CaseSummary[]> {
    const query = new URLSearchParams({ ...q, limit: String(limit) });
    // A user waits on it: a server slow to answer leaves the local results alone.
    return (await this.request('GET', `/api/cases/search?${query.toString()}`, CaseSearchResponseSchema, undefined, 2_000)).cases;
  }

  async completeHistory(caseId: string): Promise<void> {
    // A user waits on it (the case's timeline): a server that does not answer soon is taken as away.
    const log = await this.caseLog(caseId, 3_000);
    if (this.stopped) return;
    this.keepCaseLog(caseId, log);
    this.options.onCasesChanged([caseId]);
  }

  /** A case's whole log from the server (an audited read there), not kept here. */
  async caseEvents(caseId: string): Promise<ServerEvent[]> {
    // A user waits on it (the case he opens).
    return (await this.caseLog(caseId, 3_000)).events;
  }

  /** A case's log as the server has it, whole. */
  private async caseLog(caseId: string, timeoutMs?: number): Promise<{ events: ServerEvent[]; epoch: string }> {
    const h = await this.request('GET', `/api/cases/${caseId}/events`, CaseHistoryResponseSchema, undefined, timeoutMs);
    return { events: h.events as ServerEvent[], epoch: h.epoch };
  }

  /** Keeps a fetched log here: redacted for a watching role, as the server's stream sends it to him. */
  private keepCaseLog(caseId: string, log: { events: ServerEvent[]; epoch: string }): void {
    this.options.store.applyCaseHistory(caseId, this.options.watching ? log.events.map(redactEvent) : log.events, log.epoch);
  }

  private async apply(events: ServerEvent[], epoch: string, cursor: number): Promise<void> {
    const result = this.options.store.applyServerEvents(events, epoch, cursor, this.now());
    for (const caseId of result.missing) {
      const log = await this.caseLog(caseId);
      if (this.stopped) return;
      this.keepCaseLog(caseId, log);
      result.touched.push(caseId);
    }
    if (result.touched.length) this.options.onCasesChanged(result.touched);
  }

  // ---- realtime --------------------------------------------------------------------------

  private connectSocket(): void {
    if (this.sessionExpired) return;
    if (this.stopped) return;
    this.setConnection(this.connection === 'online' ? 'connecting' : this.connection);
    const url = this.serverUrl.replace(/^http/, 'ws') + '/api/ws';
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.token}` }, handshakeTimeout: 10_000 });
    this.ws = ws;
    let alive = this.now();
    const heartbeat = setInterval(() => {
      // The server pings every 10 s: 30 s of silence means the link is dead.
      if (this.now() - alive > 30_000) ws.terminate();
    }, 5_000);
    ws.on('ping', () => (alive = this.now()));
    ws.on('message', (data) => {
      alive = this.now();
      let frame;
      try {
        frame = ServerWsFrameSchema.parse(JSON.parse(data.toString()));
      } catch {
        return; // a malformed frame is ignored; the cursor pull will cover any gap
      }
      void this.onFrame(frame).catch((error: Error) => {
        if (this.stopped) return;
        // The socket is up but catching up failed (the HTTP side is down, or a proxy drops some
        // requests): start over from a fresh connection, with backoff, rather than sit half-synced.
        this.lastError = error.message;
        if (this.ws === ws) ws.terminate();
      });
    });
    ws.on('close', () => {
      clearInterval(heartbeat);
      if (this.ws === ws) {
        this.ws = null;
        this.live = false;
      }
      if (this.stopped) return;
      this.setConnection('offline', this.lastError ?? 'connexion temps réel perdue');
      this.later(() => this.connectSocket(), this.backoff());
    });
    let opened = false;
    ws.on('open', () => (opened = true));
    ws.on('error', (error) => {
      // A refused upgrade (401) is an expired session, not a network problem.
      if (/\b401\b/.test(error.message)) this.expireSession();
      else if (!this.sessionExpired) {
        this.lastError = unreachable(error);
        // This instance is gone: the next connection tries another one.
        if (!opened) this.nextServer();
      }
    });
  }

  private async onFrame(frame: z.infer<typeof ServerWsFrameSchema>): Promise<void> {
    if (frame.type === 'hello' && !frame.cases) {
      // An admin or a partner organisation: the center's state and the agenda, no cases to sync.
      this.caseFeed = false;
      this.options.onSettingsChanged?.('pdsa');
      this.resetBackoff();
      this.live = this.ws !== null;
      this.setConnection('online');
      return;
    }
    if (frame.type === 'hello') {
      this.caseFeed = true;
      this.checkEpoch(frame.epoch);
      if (frame.headSeq < this.options.store.syncState().cursorSeq) this.headSuspect = true;
      this.epochChecked = true;
      // Settings may have changed while this socket was down (no frame reached us): read them again.
      this.options.onSettingsChanged?.('pdsa');
      await this.catchUp();
      this.resetBackoff();
      this.live = this.ws !== null;
      this.setConnection('online');
      void this.push();
      return;
    }
    if (frame.type === 'calls') {
      this.options.onCalls?.(frame.calls);
      return;
    }
    if (frame.type === 'agents') {
      this.options.onAgents?.(frame.agents);
      return;
    }
    if (frame.type === 'availability') {
      this.options.onAvailability?.(frame.profiles);
      return;
    }
    if (frame.type === 'effectorRequests') {
      this.options.onEffectorRequests?.(frame.requests);
      return;
    }
    if (frame.type === 'agenda') {
      this.options.onAgendaChanged?.(frame.version);
      return;
    }
    if (frame.type === 'hub') {
      this.options.onHubChanged?.(frame.version);
      return;
    }
    if (frame.type === 'settings') {
      this.options.onSettingsChanged?.(frame.what);
      return;
    }
    if (frame.type === 'lines') {
      this.options.onLines?.(frame.status);
      return;
    }
    if (frame.type === 'callbacks') {
      this.options.onCallbacks?.(frame.callbacks);
      return;
    }
    if (frame.type === 'directory') {
      if (frame.version !== this.options.store.getDirectory().version) await this.fetchDirectory();
      return;
    }
    if (frame.type === 'bye') {
      if (frame.reason === 'token_expired') await this.refreshToken().catch(() => {});
      // Logged out elsewhere, ended by an admin, password or role changed: log in again.
      else if (frame.reason === 'session_ended') this.expireSession();
      return;
    }
    if (frame.type === 'poke') {
      // Heartbeat or congestion: pull only if the server is ahead of us.
      const { cursorSeq } = this.options.store.syncState();
      if (frame.headSeq < cursorSeq) this.headSuspect = true;
      if (frame.headSeq !== cursorSeq || !this.options.store.syncState().snapshotComplete || this.checkEpoch(frame.epoch)) await this.catchUp();
      return;
    }
    // Data frame: apply if it follows our cursor, otherwise pull (a gap, a reorder, a duplicate).
    // Until the first snapshot is complete, events alone would leave out older cases: catch up.
    if (!this.epochChecked || !this.options.store.syncState().snapshotComplete || this.checkEpoch(frame.epoch)) {
      await this.catchUp();
      return;
    }
    if (this.pulling) await this.pulling.catch(() => {});
    const { cursorSeq } = this.options.store.syncState();
    const events = frame.events as ServerEvent[];
    const fresh = events.filter((e) => e.serverSeq > cursorSeq);
    if (fresh.length === 0) return;
    if (fresh[0]!.serverSeq !== cursorSeq + 1) {
      await this.catchUp();
      return;
    }
    await this.apply(fresh, frame.epoch, fresh[fresh.length - 1]!.serverSeq);
  }

  // ---- duty directory ----------------------------------------------------------------------

  async fetchDirectory(): Promise<void> {
    const dir = await this.request('GET', '/api/directory', DirectorySchema);
    if (this.stopped) return;
    const { version, ...kinds } = dir;
    this.options.store.saveDirectory(version, kinds);
    this.options.onDirectoryChanged?.(version);
  }

  /** An admin's import: the server checks it again, stores it and tells every workstation. */
  async importDirectory(input: DirectoryImport): Promise<number> {
    const r = await this.request('PUT', '/api/directory', z.strictObject({ version: z.number().int() }), input);
    await this.fetchDirectory();
    return r.version;
  }

  // ---- call log ----------------------------------------------------------------------------

  private callReportsRun: Promise<void> | null = null;
  private readsRun: Promise<void> | null = null;

  /** Push the call reports kept locally, oldest first; on failure they wait for the next try. */
  pushCallReports(): Promise<void> {
    if (this.callReportsRun) return this.callReportsRun;
    // Cleared once settled, never before it is stored (an empty outbox settles at once).
    const run = this.drain(
      () => this.options.store.pendingCallReports(MAX_CALL_REPORTS_PER_PUSH, this.options.authorUserId ?? ''),
      (reports) => this.request('POST', '/api/calls', z.strictObject({ recorded: z.number().int() }), { reports }),
      (ids) => this.options.store.removeCallReports(ids),
      () => void this.pushCallReports(),
    ).finally(() => {
      if (this.callReportsRun === run) this.callReportsRun = null;
    });
    this.callReportsRun = run;
    return run;
  }

  /** Push the reads of patient data recorded here to the server's access audit, oldest first. */
  pushReads(): Promise<void> {
    if (this.readsRun) return this.readsRun;
    const run = this.drain(
      () => this.options.store.pendingReads(MAX_READS_PER_PUSH, this.options.authorUserId ?? ''),
      (reads) => this.request('POST', '/api/audit/reads', z.strictObject({ recorded: z.number().int() }), { reads }),
      (ids) => this.options.store.removeReads(ids),
      () => void this.pushReads(),
    ).finally(() => {
      if (this.readsRun === run) this.readsRun = null;
    });
    this.readsRun = run;
    return run;
  }

  /** Sends an outbox batch by batch; removed once the server has each; on failure, retried with backoff. */
  private async drain<T extends { id: string }>(pending: () => T[], send: (batch: T[]) => Promise<unknown>, remove: (ids: string[]) => void, retry: () => void): Promise<void> {
    try {
      for (;;) {
        const batch = pending();
        if (batch.length === 0 || this.stopped) return;
        await send(batch);
        remove(batch.map((r) => r.id));
      }
    } catch (error) {
      if (this.stopped) return;
      this.setConnection('offline', (error as Error).message);
      this.later(retry, this.backoff());
    }
  }

  async liveCalls(): Promise<CenterCall[]> {
    return (await this.request('GET', '/api/calls/live', z.strictObject({ calls: z.array(CenterCallSchema), at: z.number() }))).calls;
  }

  /** A GET of the server's API answered as is (statistics, reports), checked by the caller's schema. */
  get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    return this.request('GET', path, schema);
  }

  post<T>(path: string, schema: z.ZodType<T>, body: unknown): Promise<T> {
    return this.request('POST', path, schema, body);
  }

  put<T>(path: string, schema: z.ZodType<T>, body: unknown): Promise<T> {
    return this.request('PUT', path, schema, body);
  }

  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path, z.unknown());
  }

  /** A file from the server (a report, a recording), as bytes with its type, name and headers; POST when `body` is given. */
  async download(path: string, body?: unknown): Promise<{ contentType: string; filename: string; bytes: Buffer; headers: Headers }> {
    let res: Response;
    try {
      res = await fetch(`${this.serverUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      this.nextServer();
      throw new HttpError(0, 'unreachable', `Serveur injoignable (${(error as Error).message})`);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new HttpError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `Erreur ${res.status}`);
    }
    const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'rapport';
    return { contentType: res.headers.get('content-type') ?? 'application/octet-stream', filename, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  }

  // ---- agent state -----------------------------------------------------------------------

  async setAgentState(state: AgentStateRequest): Promise<number> {
    return (await this.request('PUT', '/api/agent/state', z.strictObject({ since: z.number() }), state)).since;
  }

  async agents(): Promise<AgentPresence[]> {
    return (await this.request('GET', '/api/agents', z.strictObject({ agents: z.array(AgentPresenceSchema) }))).agents;
  }

  // ---- token -----------------------------------------------------------------------------

  private scheduleRefresh(): void {
    if (this.sessionExpired) return;
    // At 80 % of what is left, so a failed refresh (server away) is tried again sooner and sooner,
    // then every second; once the server answers that the token is no longer valid, the session is over.
    const inMs = Math.max(1_000, (this.tokenExpiresAt - this.now()) * 0.8);
    this.later(() => {
      void this.refreshToken()
        .catch((error: unknown) => {
          if (!this.sessionExpired) this.lastError = (error as Error).message;
        })
        .finally(() => this.scheduleRefresh());
    }, inMs);
  }

  /** Logout: the server ends this session (every token of it). Best effort: offline, it ends at its fixed end. */
  async endServerSession(): Promise<boolean> {
    try {
      await this.request('POST', '/api/logout', z.object({ ok: z.literal(true) }), undefined, 3_000);
      return true;
    } catch {
      return false;
    }
  }

  private async refreshToken(): Promise<void> {
    const r = await this.request('POST', '/api/token/refresh', z.object({ token: z.string(), expiresAt: z.number() }));
    this.token = r.token;
    this.tokenExpiresAt = r.expiresAt;
  }
}

/** TLS failures of a server whose certificate this workstation does not trust. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A network failure said in French (never Node's "fetch failed"). */
export function unreachable(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'Serveur injoignable (pas de réponse dans le délai)';
  const tlsCode = e?.cause?.code ?? e?.code ?? '';
  if (CERTIFICATE_CODES.has(tlsCode)) {
    return `Serveur injoignable : son certificat n’est pas reconnu par ce poste (${tlsCode}). Rien n’a été envoyé. L’autorité de certification du centre doit être installée sur ce poste.`;
  }
  const code = e?.cause?.code ?? (e?.message?.match(/\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT)\b/)?.[1] ?? '');
  if (code === 'ECONNREFUSED') return 'Serveur injoignable (connexion refusée)';
  if (code === 'ENOTFOUND') return 'Serveur injoignable (adresse inconnue)';
  return 'Serveur injoignable (réseau coupé ou serveur arrêté)';
}
