/**
 * The workstation core: owns the SQLite cache, the session, the link with the central server and
 * the reference data, and implements the contract's handlers. No Electron import: the Electron
 * main process and the web host both start it the same way.
 */
import { ServerStateSchema } from '../../src-shared/schemas/server-state.js';
import { AccessEntrySchema, type RecordedRead } from '../../src-shared/schemas/access-audit.js';
import { SecondFactorEnrolmentSchema, SecuritySettingsSchema } from '../../src-shared/schemas/security.js';
import type { CaseSummary } from '../../src-shared/schemas/case.js';
import { z } from 'zod';
import { CascadeSettingsSchema, EffectorRequestSchema, type AvailabilityProfile, type EffectorRequest } from '../../src-shared/schemas/effectors.js';
import { BookingSchema, OfferFiguresSchema, OrganisationSchema, SlotSchema } from '../../src-shared/schemas/slots.js';
import { HubAppointmentSchema, HubJournalEntrySchema, HubOverviewSchema, QuarantineItemSchema } from '../../src-shared/schemas/hubsante.js';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { applyEvent, decide, isCompleteLog, replay } from '../../src-shared/domain/case-lifecycle.js';
import { watches } from '../../src-shared/domain/redaction.js';
import { personName, summaryOf } from '../../src-shared/domain/case-summary.js';
import { err, ok, type Result } from '../../src-shared/domain/result.js';
import { pdsaAt, DEFAULT_PDSA_RULES, type DepartmentPdsaRules } from '../../src-shared/domain/pdsa-calendar.js';
import { SessionViewSchema, TextDraftFieldSchema, type LinesState, type Session, type SyncStatus, type TextDraftField } from '../../src-shared/contract/methods.js';
import { CallbackEntrySchema, LinesStatusSchema, NO_LINES, RecordingViewSchema } from '../../src-shared/schemas/lines.js';
import type { EventName, EventPayload } from '../../src-shared/contract/events.js';
import type { RegulationCase, ScreeningFields } from '../../src-shared/schemas/case.js';
import type { CaseCommand, CaseEvent } from '../../src-shared/schemas/case-events.js';
import { canonicalPhone } from '../../src-shared/text/phone.js';
import { CaseStore } from './store/case-store.js';
import { growPageCache, openDatabase, schemaVersion, type Db } from './store/database.js';
import { FILE_MODE_ONLY, loadOrCreateCacheKey, type KeySealer } from './store/cache-key.js';
import { CLEAR_BENCHMARK_FILE, KEY_FOLDER, openEncryptedCache } from './store/encrypted-cache.js';
import { InstallationConfigError, serverUrlProblem } from './config/installation-config.js';
import { CommuneDirectory } from './reference/communes.js';
import { PdsaRulesSchema } from '../../src-shared/schemas/reference.js';
import { createRegistry, type Handlers, type Registry, type RegistryOptions } from './registry.js';
import { loginToServer, SyncClient, type SyncStatusView } from './sync/sync-client.js';
import { BackgroundCheckpointer } from './store/checkpointer.js';
import { parseDirectoryCsv } from '../../src-shared/domain/directory-csv.js';
import { departmentTimeZone } from '../../src-shared/domain/departments.js';
import type { DirectoryKind } from '../../src-shared/schemas/directory.js';
import { LoginResponseSchema, SipAccountSchema, type LoginResponse, type SipAccount } from '../../src-shared/sync-protocol/messages.js';
import type { CenterCall } from '../../src-shared/schemas/call-log.js';
import { ActivityStatisticsSchema, IncentiveSettingsSchema, TodayFiguresSchema } from '../../src-shared/schemas/statistics.js';
import { findRepeatCalls, REPEAT_WINDOW_MS, suggestPriority } from '../../src-shared/domain/repeat-callers.js';
import { hashPassword, openWithPassword, sealWithPassword, verifyPassword } from '../../src-node-shared/password-hash.js';

export const APP_VERSION = '0.1.0';

export interface CoreOptions {
  /** Folder holding the encrypted cache and its key (see store/encrypted-cache.ts). */
  dataDir: string;
  /**
   * How the cache key is kept: Electron's safeStorage in the desktop app; the browser shell's
   * key file is protected by its permissions only (development, demonstrations).
   */
  keySealer?: KeySealer;
  /**
   * Benchmarks only (the baseline "same data in clear"): a clear cache file. No shell sets it; the
   * installation's configuration has no such field.
   */
  clearCacheForBenchmarks?: boolean;
  /** Idle time before the screen locks (seconds; default 300). */
  idleLockSeconds?: number;
  now?: () => number;
  /**
   * Central regulation server (https://, or http:// to this machine only). Without it the
   * workstation runs in training mode: local sessions, no administration, nothing sent anywhere.
   */
  serverUrl?: string;
  /** The center's other server instances, tried in order when the one in use cannot be reached. */
  fallbackServerUrls?: string[];
  /** How long an offline login stays possible after the last server login, when the server did not say (hours). */
  offlineSessionHours?: number;
  /**
   * Closed cases are kept on the workstation this many days after their last change (default 7,
   * never less than 3: the repeat-caller look-up reaches 72 h back), then purged from it, never
   * from the server, which gives them back when searched or opened. Only with a server.
   */
  cacheRetentionDays?: number;
  /** Tenant (center) used when the login form does not name one. */
  defaultTenant?: string;
  /** PDSA rules per department (Saturday start, bridge days). */
  pdsaRules?: Record<string, DepartmentPdsaRules>;
  registry?: RegistryOptions;
  /** Share one loaded commune directory between cores (tests, benchmarks). */
  communes?: CommuneDirectory;
  /** Sync tuning (tests, benchmarks). */
  sync?: { backoffMs?: [number, number]; pushBatch?: number };
  /** Softphone account of a standalone workstation (with a server, it comes with the login). */
  sip?: SipAccount;
  /**
   * SIP servers (ws:// or wss:// origins) this workstation may connect to: the renderer's CSP
   * allows these and nothing else. Part of the installation's configuration, like serverUrl.
   */
  telephonyOrigins?: string[];
}

type Listener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

interface OfflineCredential {
  hash: string;
  /** The user's SIP account sealed with their password: the phone works after an offline login too. */
  sip?: string;
  actor: Session['actor'];
  department: string;
  tenant: string;
  organisation?: string | null;
  /** No offline login with it after this (its server session's end at the last server login). */
  validUntil?: number;
}

/** Closed cases kept on a workstation (days after their last change), and the floor (the 72 h look-up). */
const DEFAULT_RETENTION_DAYS = 7;
const MIN_RETENTION_DAYS = 3;
/** Cases purged per transaction: the core is never held long by it. */
const PURGE_BATCH = 2_000;

/** Idle time before the workstation locks, unless the center says otherwise. */
const DEFAULT_IDLE_LOCK_SECONDS = 300;

/** How long an offline login is allowed after the last server login, when the server did not say. */
const OFFLINE_SESSION_HOURS = 12;

export class WorkstationCore {
  readonly workstationId: string;
  readonly store: CaseStore;
  readonly registry: Registry;
  private session: Session | null = null;
  private sync: SyncClient | null = null;
  /** Kept in memory only, to authenticate again when the server comes back after an offline login. */
  private pendingCredentials: { tenant: string; login: string; password: string } | null = null;
  private reloginTimer: ReturnType<typeof setTimeout> | null = null;
  private communes: CommuneDirectory | undefined;
  private sectorsByCommune: Map<string, string> | null = null;
  /** The center's calls ringing or in progress, as last pushed by the server. */
  private liveCalls: CenterCall[] = [];
  /** The lines' queues and the callback list, as the server last pushed them. */
  private lines: LinesState = { status: NO_LINES, callbacks: [] };
  /** Effectors' availability and the requests to effectors, as the server last pushed them. */
  private effectors: { profiles: AvailabilityProfile[]; requests: EffectorRequest[] } = { profiles: [], requests: [] };
  private sipAccount: SipAccount | null = null;
  /** WAL checkpoints off the core's thread (see checkpointer.ts). */
  readonly checkpointer: BackgroundCheckpointer | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private purgeTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(
    private readonly db: Db,
    private readonly options: CoreOptions,
    cacheKey: Buffer | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.store = new CaseStore(db);
    if (!db.readonly) this.checkpointer = new BackgroundCheckpointer(db, cacheKey ? { key: cacheKey } : {});
    this.communes = options.communes;
    let id = this.store.getMeta('workstation_id');
    if (!id) {
      id = uuidv7();
      this.store.setMeta('workstation_id', id);
    }
    this.workstationId = id;
    // Closed cases past their retention leave the workstation (the server keeps them): soon after
    // the start, then every hour, a batch at a time so that the core never stalls on it.
    if (options.serverUrl && !db.readonly) this.schedulePurge(5_000);
    this.growPageCacheOnceFilled();
    this.registry = createRegistry(this.handlers(), options.registry, () =>
      this.session === null ? 'none' : this.session.locked ? 'locked' : this.session.mustEnrolSecondFactor ? 'enrolling' : 'open',
    );
  }

  static open(options: CoreOptions): WorkstationCore {
    if (options.serverUrl) {
      const problem = serverUrlProblem(options.serverUrl);
      if (problem) throw new InstallationConfigError(`Adresse du serveur central refusée (${options.serverUrl}) : ${problem}.`, 'serverUrl', 'serverUrls');
    }
    if (options.clearCacheForBenchmarks) return new WorkstationCore(openDatabase(join(options.dataDir, CLEAR_BENCHMARK_FILE)), options, undefined);
    const key = loadOrCreateCacheKey(join(options.dataDir, KEY_FOLDER), options.keySealer ?? FILE_MODE_ONLY);
    const { db } = openEncryptedCache(options.dataDir, key);
    return new WorkstationCore(db, options, key);
  }

  private pageCacheGrown = false;
  /** The larger page cache once the cache is filled (see database.ts). */
  private growPageCacheOnceFilled(): void {
    if (this.pageCacheGrown || (this.options.serverUrl && !this.store.syncState().snapshotComplete)) return;
    growPageCache(this.db);
    this.pageCacheGrown = true;
  }

  /** Closed cases last changed before this moment are not kept here (the retention, floor included). */
  private retentionCutoff(): number {
    return this.now() - Math.max(MIN_RETENTION_DAYS, this.options.cacheRetentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400_000;
  }

  /** Removes one batch of closed cases past the retention; returns their ids. */
  purgeCache(): string[] {
    const ids = this.store.purgeClosedBefore(this.retentionCutoff(), PURGE_BATCH);
    if (ids.length) this.emitCasesChanged(ids);
    return ids;
  }

  /** The renderer refreshes what it shows of these cases (at most 500 named, then "more"). */
  private emitCasesChanged(ids: readonly string[]): void {
    this.emit('cases.synced', { caseIds: ids.slice(0, 500), more: ids.length > 500 });
  }

  private schedulePurge(delayMs: number): void {
    this.purgeTimer = setTimeout(() => {
      // Never during an initial sync: what it brings is purged once it is complete.
      if (!this.store.syncState().snapshotComplete) return this.schedulePurge(60_000);
      let more = false;
      try {
        more = this.purgeCache().length === PURGE_BATCH;
      } catch (error) {
        this.options.registry?.onInternalError?.('purge du cache local', error);
      }
      this.schedulePurge(more ? 50 : 3_600_000);
    }, delayMs);
    this.purgeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.purgeTimer) clearTimeout(this.purgeTimer);
    await this.endSync();
    this.listeners.clear();
    await this.checkpointer?.stop();
    this.db.close();
  }

  /** Subscribe to pushed events; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload);
  }

  private communeDirectory(): CommuneDirectory {
    this.communes ??= CommuneDirectory.load();
    return this.communes;
  }

  syncStatus(): SyncStatus {
    if (!this.sync) {
      return { enabled: false, connection: 'offline', offlineSince: null, lastContactAt: null, pending: this.store.countPendingMutations(), rejected: this.store.countRejectedMutations(), cursor: this.store.syncState().cursorSeq, lastError: null, sessionExpired: false, server: null };
    }
    return { enabled: true, ...this.sync.status() };
  }

  /**
   * For a watching role (a supervisor), online: the case's whole log read from the server (an
   * audited read there), with this workstation's own events not yet on it; kept in memory only.
   * Null otherwise (or when the server does not answer: what is here, redacted, is shown).
   */
  private async wholeCase(caseId: string): Promise<{ state: RegulationCase; events: (CaseEvent & { syncStatus: 'pending' | 'accepted' | 'rejected' })[] } | null> {
    if (!this.session || !watches(this.session.actor.role) || !this.sync || this.sync.status().connection !== 'online') return null;
    const server = await this.sync.caseEvents(caseId).catch(() => null);
    if (!server || server.length === 0) return null;
    const known = new Set(server.map((e) => e.id));
    const mine = this.store.history(caseId).filter((e) => !known.has(e.id) && e.syncStatus === 'pending');
    const events = [...server.map((e) => ({ ...e, syncStatus: 'accepted' as const })), ...mine];
    const state = replay(events);
    return state ? { state, events } : null;
  }

  private startSync(token: string, expiresAt: number, start = true): void {
    const url = this.options.serverUrl!;
    this.sync = new SyncClient(
      {
        serverUrl: url,
        ...(this.options.fallbackServerUrls?.length ? { fallbackUrls: this.options.fallbackServerUrls } : {}),
        store: this.store,
        now: this.now,
        watching: this.session ? watches(this.session.actor.role) : false,
        ...(this.options.sync?.backoffMs ? { backoffMs: this.options.sync.backoffMs } : {}),
        ...(this.options.sync?.pushBatch ? { pushBatch: this.options.sync.pushBatch } : {}),
        onCasesChanged: (ids) => this.emitCasesChanged(ids),
        onRejected: (rejections) => {
          for (const r of rejections) {
            this.emit('case.rejected', {
              caseId: r.caseId,
              reference: this.store.getCase(r.caseId)?.reference ?? null,
              code: r.verdict.error?.code ?? 'rejected',
              message: r.verdict.error?.message ?? 'Modification refusée par le serveur.',
            });
          }
        },
        onStatus: (s: SyncStatusView) => {
          this.growPageCacheOnceFilled();
          this.emit('sync.state', { enabled: true, ...s });
        },
        ...(this.session ? { authorUserId: this.session.actor.userId } : {}),
        closedSince: () => this.retentionCutoff(),
        onAgents: (agents) => this.emit('agents.changed', { agents }),
        onAvailability: (profiles) => {
          this.effectors = { ...this.effectors, profiles };
          this.emit('effectors.changed', this.effectors);
        },
        onAgendaChanged: (version) => this.emit('agenda.changed', { version }),
        onHubChanged: (version) => this.emit('hub.changed', { version }),
        onSettingsChanged: () => void this.refreshPdsaRules(),
        onEffectorRequests: (requests) => {
          this.effectors = { ...this.effectors, requests };
          this.emit('effectors.changed', this.effectors);
        },
        onCalls: (calls) => {
          this.liveCalls = calls;
          this.emit('calls.changed', { calls });
        },
        onLines: (status) => {
          this.lines = { ...this.lines, status };
          this.emit('lines.changed', this.lines);
        },
        onCallbacks: (callbacks) => {
          this.lines = { ...this.lines, callbacks };
          this.emit('lines.changed', this.lines);
        },
        onDirectoryChanged: (version) => {
          this.sectorsByCommune = null;
          this.emit('directory.changed', { version });
        },
      },
      { token, expiresAt },
    );
    // A session that must first enrol its second factor syncs nothing until it has.
    if (!start) return;
    this.sync.start();
    void this.refreshPdsaRules();
  }

  /** The center's PDSA rules from the server, kept for offline use (the header's PDSA banner follows them). */
  private async refreshPdsaRules(): Promise<void> {
    const sync = this.sync;
    if (!sync) return;
    try {
      const rules = await sync.get('/api/settings/pdsa', PdsaRulesSchema);
      this.store.setMeta('pdsa-rules', JSON.stringify(rules));
      this.emit('pdsa.changed', {});
    } catch {
      // Away: the rules kept from the last time (or the defaults) stand until it answers.
    }
  }

  private pdsaRules(department: string): DepartmentPdsaRules {
    const kept = this.store.getMeta('pdsa-rules');
    if (kept) {
      const parsed = PdsaRulesSchema.safeParse(JSON.parse(kept));
      if (parsed.success) return parsed.data;
    }
    return this.options.pdsaRules?.[department] ?? DEFAULT_PDSA_RULES;
  }

  /**
   * The user leaves (logout, another user takes the workstation): what he did is sent now if the
   * server is there (after, it waits for him), the server ends his session (its tokens open nothing
   * any more, even copied), and the sync stops.
   */
  private async closeServerSession(flushMs: number): Promise<void> {
    await this.sync?.flush(flushMs);
    await this.sync?.endServerSession();
    await this.endSync();
  }

  private async endSync(): Promise<void> {
    if (this.reloginTimer) clearTimeout(this.reloginTimer);
    this.reloginTimer = null;
    this.pendingCredentials = null;
    const s = this.sync;
    this.sync = null;
    await s?.stop();
  }

  /** After an offline login: try the server again until it answers, then start syncing. */
  private scheduleRelogin(): void {
    this.reloginTimer = setTimeout(async () => {
      const c = this.pendingCredentials;
      if (!c || !this.session) return;
      try {
        const r = await this.loginAnywhere({ ...c, workstationId: this.workstationId });
        this.pendingCredentials = null;
        this.sipAccount = r.sip;
        this.session = { ...this.session, mode: 'server', organisation: r.user.organisation, endsAt: r.sessionEndsAt ?? null };
        this.emit('session.changed', { session: this.session });
        this.startSync(r.token, r.expiresAt);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401) {
          // The server refuses this password now (changed, account deactivated): the offline session
          // ends and the password no longer opens this workstation offline. Unsent work stays queued.
          this.store.setMeta(`offline-credential:${c.tenant}:${c.login.toLowerCase()}`, '');
          this.pendingCredentials = null;
          this.sipAccount = null;
          this.session = null;
          this.emit('session.changed', { session: null });
          return;
        }
        this.scheduleRelogin();
      }
    }, 5_000);
  }

  /** A login on the first instance that answers (any instance of the center opens the same session). */
  private async loginAnywhere(body: Parameters<typeof loginToServer>[1]): Promise<Awaited<ReturnType<typeof loginToServer>>> {
    const urls = [this.options.serverUrl!, ...(this.options.fallbackServerUrls ?? [])];
    for (let i = 0; ; i++) {
      try {
        return await loginToServer(urls[i]!, body);
      } catch (error) {
        if ((error as { status?: number }).status !== 0 || i === urls.length - 1) throw error;
      }
    }
  }

  private async serverLogin(input: { tenant?: string; login: string; password: string; totp?: string }): Promise<Result<Session>> {
    const tenant = input.tenant ?? this.options.defaultTenant;
    if (!tenant) return err('invalid_input', 'Centre de régulation non précisé.');
    const credentialKey = `offline-credential:${tenant}:${input.login.toLowerCase()}`;
    await this.endSync();
    try {
      const r = await this.loginAnywhere({
        tenant,
        login: input.login,
        password: input.password,
        workstationId: this.workstationId,
        ...(input.totp ? { totp: input.totp } : {}),
      });
      const { actor, endsAt } = this.acceptServerLogin(r, tenant);
      // Lets this user work here when the server is down (the hash never leaves the workstation).
      const credential: OfflineCredential = {
        hash: await hashPassword(input.password),
        actor,
        department: r.department,
        tenant,
        organisation: r.user.organisation,
        validUntil: endsAt,
        ...(r.sip ? { sip: await sealWithPassword(input.password, JSON.stringify(r.sip)) } : {}),
      };
      this.store.setMeta(credentialKey, JSON.stringify(credential));
    } catch (error) {
      const e = error as { status?: number; message: string };
      if (e.status !== 0 && e.status !== undefined) {
        // A refused password no longer opens this workstation offline either (a missing code is not a refusal).
        const code = (error as { code?: string }).code;
        if (code === 'second_factor_required') return err('second_factor_required', e.message);
        if (e.status === 401) this.store.setMeta(credentialKey, '');
        return err(e.status === 401 ? 'forbidden' : 'unavailable', e.message);
      }
      const cached = this.store.getMeta(credentialKey);
      const credential = cached ? (JSON.parse(cached) as OfflineCredential) : null;
      if (!credential || !(await verifyPassword(input.password, credential.hash))) {
        return err('unavailable', `${e.message} ; cet utilisateur ne s’est jamais connecté sur ce poste : connexion impossible hors ligne.`);
      }
      const validUntil = credential.validUntil ?? 0;
      if (validUntil <= this.now()) {
        return err('unavailable', 'Serveur central injoignable, et la dernière connexion de cet utilisateur au serveur est trop ancienne : connexion hors ligne refusée.');
      }
      this.session = {
        actor: credential.actor,
        department: credential.department,
        workstationId: this.workstationId,
        startedAt: this.now(),
        mode: 'offline',
        tenant,
        organisation: credential.organisation ?? null,
        endsAt: validUntil,
        locked: false,
        mustEnrolSecondFactor: false,
        idleLockSeconds: null,
      };
      // Calls keep coming when the central server is down: the phone must work.
      const sip = credential.sip ? await openWithPassword(input.password, credential.sip) : null;
      this.sipAccount = sip ? SipAccountSchema.parse(JSON.parse(sip)) : null;
      this.pendingCredentials = { tenant, login: input.login, password: input.password };
      this.scheduleRelogin();
    }
    this.armSessionEnd();
    this.emit('session.changed', { session: this.session });
    return ok(this.session!);
  }

  /**
   * The same user unlocks with his password (checked here, so it works offline too). Another user
   * unlocking logs the first one out (his unsent work stays queued under his name) and logs in.
   */
  private async unlock(input: { tenant?: string; login: string; password: string }): Promise<Result<Session>> {
    const s = this.session;
    if (!s) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
    if (!s.locked) return ok(s);
    const tenant = input.tenant ?? s.tenant ?? this.options.defaultTenant;
    const sameUser = s.mode !== 'local' && `${tenant}:${input.login.toLowerCase()}` === s.actor.userId.toLowerCase();
    if (sameUser) {
      const cached = this.store.getMeta(`offline-credential:${tenant}:${input.login.toLowerCase()}`);
      const credential = cached ? (JSON.parse(cached) as OfflineCredential) : null;
      if (!credential || !(await verifyPassword(input.password, credential.hash))) return err('forbidden', 'Mot de passe incorrect.');
      this.session = { ...s, locked: false };
      this.recordRead('session.unlock', null, null);
      this.emit('session.changed', { session: this.session });
      return ok(this.session);
    }
    // Someone else takes the workstation: the first user's session ends here and on the server.
    await this.closeServerSession(3_000);
    this.session = null;
    const r = await this.serverLogin(input);
    if (!r.ok) {
      this.emit('session.changed', { session: null });
      return r;
    }
    this.recordRead('session.unlock', null, `après la session de ${s.actor.displayName}`);
    return r;
  }

  /** A read of patient data, kept here until the server's access audit has it. */
  private recordRead(action: RecordedRead['action'], caseId: string | null, detail: string | null): void {
    const s = this.session;
    if (!s || s.mode === 'local') return;
    this.store.queueRead({ id: uuidv7(), action, caseId, at: this.now(), detail }, s.actor.userId);
    void this.sync?.pushReads();
  }

  /** A login the server accepted (password or Pro Santé Connect): the session, the phone, the sync. */
  private acceptServerLogin(r: LoginResponse, tenant: string): { actor: Session['actor']; endsAt: number } {
    const actor = { userId: r.user.id, displayName: r.user.displayName, role: r.user.role };
    const endsAt = r.sessionEndsAt ?? this.now() + (this.options.offlineSessionHours ?? OFFLINE_SESSION_HOURS) * 3600_000;
    this.session = {
      actor,
      department: r.department,
      workstationId: this.workstationId,
      startedAt: this.now(),
      mode: 'server',
      tenant,
      organisation: r.user.organisation,
      endsAt,
      locked: false,
      mustEnrolSecondFactor: r.secondFactor === 'enrol',
      idleLockSeconds: r.idleLockSeconds ?? null,
    };
    // In memory; on disk only sealed with the user's password (for an offline login).
    this.sipAccount = r.sip;
    this.startSync(r.token, r.expiresAt, r.secondFactor !== 'enrol');
    return { actor, endsAt };
  }

  /** Pro Santé Connect flows started here: their secret stays in the core, never in the page. */
  private readonly pscFlows = new Map<string, { secret: string; tenant: string; authorizationUrl: string }>();

  /**
   * Whether `url` is the PSC page of a login under way on this workstation: the desktop shell opens
   * it in the system browser (its window opens nothing else), whatever the installation's list of
   * external links says. PSC sends the doctor back to the server, which this workstation asks.
   */
  isPscAuthorization(url: string): boolean {
    for (const flow of this.pscFlows.values()) if (flow.authorizationUrl === url) return true;
    return false;
  }

  private async pscStart(): Promise<Result<{ flowId: string; authorizationUrl: string }>> {
    const tenant = this.options.defaultTenant;
    if (!this.options.serverUrl || !tenant) return err('unavailable', 'Pro Santé Connect demande un serveur central.');
    try {
      const res = await fetch(`${this.options.serverUrl}/api/psc/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant, workstationId: this.workstationId }),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json().catch(() => ({}))) as { flowId?: string; secret?: string; authorizationUrl?: string; error?: { message: string } };
      if (res.status === 404) return err('unavailable', 'Ce centre ne propose pas Pro Santé Connect : connectez-vous par mot de passe.');
      if (!res.ok || !json.flowId || !json.secret || !json.authorizationUrl) return err('unavailable', json.error?.message ?? `Pro Santé Connect indisponible (HTTP ${res.status}).`);
      this.pscFlows.set(json.flowId, { secret: json.secret, tenant, authorizationUrl: json.authorizationUrl });
      return ok({ flowId: json.flowId, authorizationUrl: json.authorizationUrl });
    } catch {
      return err('unavailable', 'Serveur central injoignable : Pro Santé Connect indisponible.');
    }
  }

  /** Waits for the doctor to finish on PSC's page (3 min at most); he may have a practice to choose. */
  private async pscFinish(flowId: string, practice?: number): Promise<Result<{ status: 'done'; session: Session } | { status: 'choose'; practices: string[] }>> {
    const flow = this.pscFlows.get(flowId);
    if (!flow) return err('not_found', 'Connexion Pro Santé Connect inconnue : recommencez.');
    const end = this.now() + 180_000;
    while (this.now() < end) {
      let res: Response;
      try {
        res = await fetch(`${this.options.serverUrl}/api/psc/flows/${flowId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: flow.secret, ...(practice === undefined ? {} : { practice }) }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      const json = (await res.json().catch(() => ({}))) as { status?: string; practices?: string[]; login?: unknown; error?: { message: string } };
      if (!res.ok) {
        this.pscFlows.delete(flowId);
        return err('forbidden', json.error?.message ?? `Connexion refusée (HTTP ${res.status}).`);
      }
      if (json.status === 'choose') return ok({ status: 'choose', practices: json.practices ?? [] });
      if (json.status === 'done') {
        this.pscFlows.delete(flowId);
        // A locked workstation unlocked by PSC: the previous session ends (its work stays queued under its author).
        const before = this.session;
        if (before) await this.closeServerSession(3_000);
        else await this.endSync();
        this.acceptServerLogin(LoginResponseSchema.parse(json.login), flow.tenant);
        if (before?.locked) this.recordRead('session.unlock', null, before.actor.userId === this.session!.actor.userId ? 'Pro Santé Connect' : `Pro Santé Connect, après la session de ${before.actor.displayName}`);
        this.armSessionEnd();
        this.emit('session.changed', { session: this.session });
        return ok({ status: 'done', session: this.session! });
      }
      await new Promise((r) => setTimeout(r, 700));
    }
    return err('unavailable', 'Pro Santé Connect n’a pas répondu à temps : recommencez.');
  }

  private sessionEndTimer: ReturnType<typeof setTimeout> | null = null;

  /** At its fixed end (a shift), the session closes here too, online or not; queued work stays queued. */
  private armSessionEnd(): void {
    if (this.sessionEndTimer) clearTimeout(this.sessionEndTimer);
    this.sessionEndTimer = null;
    const endsAt = this.session?.endsAt;
    if (!endsAt) return;
    // setTimeout holds at most ~24.8 days; a session is hours long.
    this.sessionEndTimer = setTimeout(() => {
      this.sessionEndTimer = null;
      if (this.session?.endsAt !== endsAt) return;
      void this.endSync().then(() => {
        this.sipAccount = null;
        this.session = null;
        this.emit('session.changed', { session: null });
      });
    }, Math.max(0, Math.min(endsAt - this.now(), 2 ** 31 - 1)));
    this.sessionEndTimer.unref?.();
  }

  /** The PDSA sector of a commune, from the duty directory (none before sectors are imported). */
  private sectorOf(insee: string): string | undefined {
    if (!this.sectorsByCommune) {
      this.sectorsByCommune = new Map();
      for (const s of this.store.getDirectory().sectors) for (const c of s.communes) this.sectorsByCommune.set(c, s.code);
    }
    return this.sectorsByCommune.get(insee);
  }

  /** Origins the renderer may open connections to besides its host (its CSP's connect-src). */
  connectOrigins(): string[] {
    const origins = new Set(this.options.telephonyOrigins ?? []);
    if (this.options.sip) origins.add(new URL(this.options.sip.wsUrl).origin);
    return [...origins].map((o) => new URL(o).origin.replace(/^http/, 'ws'));
  }

  /** Ask the central server (statistics, reports, settings): a clear error when there is none or it is away. */
  private async fromServer<T>(fn: (sync: SyncClient) => Promise<T>): Promise<Result<T>> {
    if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
    if (!this.sync) return err('unavailable', 'Ce poste ne travaille pas avec un serveur central : statistiques et rapports indisponibles.');
    try {
      return ok(await fn(this.sync));
    } catch (error) {
      const e = error as Error & { status?: number; code?: string };
      if (e.status === 403) return err('forbidden', e.message);
      if (e.status === 400) return err('invalid_input', e.message);
      if (e.status === 404) return err('not_found', e.message);
      // A refusal the user must read as such (the last place was just taken, a request already runs).
      if (e.status === 409) return err(e.code === 'already_taken' ? 'already_taken' : 'conflict', e.message);
      return err('unavailable', `Serveur central indisponible : ${e.message}`);
    }
  }

  private async importDirectory(kind: DirectoryKind, csv: string): Promise<Result<{ version: number; rows: number }>> {
    if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
    if (this.session.actor.role !== 'admin') return err('forbidden', 'Import de l’annuaire réservé aux administrateurs.');
    const department = this.session.department;
    const directory = this.store.getDirectory();
    const parsed = parseDirectoryCsv(kind, csv, {
      timeZone: departmentTimeZone(department),
      department,
      communeDepartment: (insee) => this.communeDirectory().byInseeCode(insee)?.departmentCode,
      sectorCodes: new Set(directory.sectors.map((s) => s.code)),
      structureIds: new Set(directory.structures.map((s) => s.id)),
    });
    if (!parsed.ok) {
      const n = parsed.errors.length;
      return err('invalid_input', `Fichier refusé, rien n’a été importé : ${n} erreur${n > 1 ? 's' : ''}.`, { lines: parsed.errors });
    }
    const rows = parsed.value.rows.length;
    if (this.sync) {
      try {
        return ok({ version: await this.sync.importDirectory(parsed.value), rows });
      } catch (error) {
        return err('unavailable', `Import non envoyé au serveur : ${(error as Error).message}`);
      }
    }
    const version = directory.version + 1;
    this.store.saveDirectory(version, { [kind]: parsed.value.rows });
    this.sectorsByCommune = null;
    this.emit('directory.changed', { version });
    return ok({ version, rows });
  }

  /** Canonicalise what users type before it becomes an event (one form per phone number). */
  private normaliseFields(fields: ScreeningFields | undefined): Result<ScreeningFields | undefined> {
    if (!fields) return ok(undefined);
    const next = { ...fields };
    if (next.callbackPhone !== undefined) {
      if (next.callbackPhone === '') delete next.callbackPhone;
      else {
        const phone = canonicalPhone(next.callbackPhone);
        if (!phone) return err('invalid_input', `Numéro de rappel invalide : « ${next.callbackPhone} ».`, { field: 'callbackPhone' });
        next.callbackPhone = phone;
      }
    }
    if (next.location?.inseeCode) {
      const directory = this.communeDirectory();
      const commune = directory.byInseeCode(next.location.inseeCode);
      if (!commune) return err('invalid_input', `Commune inconnue (code INSEE ${next.location.inseeCode}).`, { field: 'location' });
      const { postalCode } = next.location;
      if (postalCode && !commune.postalCodes.includes(postalCode)) {
        return err('invalid_input', `Le code postal ${postalCode} n’est pas celui de ${commune.name} (${commune.postalCodes.join(', ')}).`, { field: 'location' });
      }
      // The name shown is the commune's, or one of its former communes' as the caller named it.
      const labels = directory.labelsOf(commune.inseeCode);
      const communeName = next.location.communeName && labels.includes(next.location.communeName) ? next.location.communeName : commune.name;
      // An arrondissement belongs to its city's PDSA sector unless the directory names it.
      const sectorId = this.sectorOf(commune.inseeCode) ?? (commune.cityInseeCode ? this.sectorOf(commune.cityInseeCode) : undefined);
      const { sectorId: _previous, ...location } = next.location;
      next.location = { ...location, communeName, departmentCode: commune.departmentCode, ...(sectorId ? { sectorId } : {}) };
    }
    if (next.patient?.birthDate && next.patient.birthDate > new Date(this.now()).toISOString().slice(0, 10)) {
      return err('invalid_input', 'La date de naissance est dans le futur.', { field: 'patient.birthDate' });
    }
    return ok(next);
  }

  /** Decide, then append event + visible case + outbox in one transaction, then notify and push. */
  private execute(caseId: string, command: CaseCommand): Result<RegulationCase> {
    if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
    let cmd = command;
    if (cmd.type === 'open' || cmd.type === 'update_fields') {
      const fields = this.normaliseFields(cmd.type === 'open' ? cmd.fields : cmd.changes);
      if (!fields.ok) return fields;
      cmd = cmd.type === 'open' ? { ...cmd, ...(fields.value ? { fields: fields.value } : {}) } : { ...cmd, changes: fields.value ?? {} };
    }
    const state = this.store.getCase(caseId);
    const decided = decide(state, cmd, {
      actor: this.session.actor,
      workstationId: this.workstationId,
      eventId: cmd.type === 'open' ? caseId : uuidv7(),
      caseId,
      now: this.now(),
    });
    if (!decided.ok) return decided;
    const next = applyEvent(state, decided.value);
    this.store.appendLocal(decided.value, next, cmd);
    this.emit('case.changed', { summary: summaryOf(next), version: next.version });
    if (this.sync) {
      this.sync.notifyLocalWrite();
      this.emit('sync.state', this.syncStatus());
    }
    return ok(next);
  }

  private handlers(): Handlers {
    return {
      'system.info': () =>
        ok({
          version: APP_VERSION,
          workstationId: this.workstationId,
          schemaVersion: schemaVersion(this.db),
          casesInCache: this.store.countCases(),
          pendingMutations: this.store.countPendingMutations(),
        }),
      'session.mode': () =>
        ok({ serverConfigured: Boolean(this.options.serverUrl), defaultTenant: this.options.defaultTenant ?? null, idleLockSeconds: this.options.idleLockSeconds ?? DEFAULT_IDLE_LOCK_SECONDS }),
      'session.lock': () => {
        if (this.session && !this.session.locked) {
          this.session = { ...this.session, locked: true };
          this.recordRead('session.lock', null, null);
          this.emit('session.changed', { session: this.session });
        }
        return ok({});
      },
      'session.unlock': (input) => this.unlock(input),
      'session.pscStart': () => this.pscStart(),
      'session.pscFinish': ({ flowId, practice }) => this.pscFinish(flowId, practice),
      'admin.sessions': () => this.fromServer(async (s) => (await s.get('/api/admin/sessions', z.strictObject({ sessions: z.array(SessionViewSchema) }))).sessions),
      'admin.endSession': ({ sessionId }) => this.fromServer(async (s) => (await s.delete(`/api/admin/sessions/${sessionId}`), {})),
      'admin.updateUser': ({ login, ...changes }) =>
        this.fromServer((s) => s.put(`/api/admin/users/${encodeURIComponent(login)}`, z.strictObject({ login: z.string(), sessionsEnded: z.number().int() }), changes)),
      'security.get': () => this.fromServer((s) => s.get('/api/settings/security', SecuritySettingsSchema)),
      'security.set': (settings) => this.fromServer((s) => s.put('/api/settings/security', SecuritySettingsSchema, settings)),
      'secondFactor.enrol': () => this.fromServer((s) => s.post('/api/me/second-factor/enrol', SecondFactorEnrolmentSchema, {})),
      'secondFactor.confirm': async ({ code }) => {
        const r = await this.fromServer((s) => s.post('/api/me/second-factor/confirm', z.object({ ok: z.literal(true) }), { code }));
        if (!r.ok) return r;
        if (this.session?.mustEnrolSecondFactor) {
          this.session = { ...this.session, mustEnrolSecondFactor: false };
          this.sync?.start();
          void this.refreshPdsaRules();
          this.emit('session.changed', { session: this.session });
        }
        return ok(this.session!);
      },
      'session.login': async (input) => {
        if ('password' in input) {
          if (!this.options.serverUrl) return err('invalid_input', 'Aucun serveur central configuré sur ce poste.');
          return this.serverLogin(input);
        }
        if (this.options.serverUrl) {
          return err('invalid_input', 'Ce poste est relié au serveur central : identifiant et mot de passe requis.');
        }
        const { displayName, role, department } = input;
        if (role === 'admin') {
          return err('forbidden', 'Le mode formation n’a pas d’administration : les comptes et les réglages du centre se gèrent sur son serveur.');
        }
        const userId = `${role}:${displayName.toLowerCase().replace(/\s+/g, '.')}`;
        this.session = { actor: { userId, displayName, role }, department, workstationId: this.workstationId, startedAt: this.now(), mode: 'local', tenant: null, organisation: null, endsAt: null, locked: false, mustEnrolSecondFactor: false, idleLockSeconds: null };
        this.emit('session.changed', { session: this.session });
        return ok(this.session);
      },
      'session.current': () => ok(this.session),
      'session.logout': async () => {
        await this.closeServerSession(5_000);
        this.sipAccount = null;
        this.session = null;
        this.emit('session.changed', { session: null });
        return ok({});
      },
      'sync.status': () => ok(this.syncStatus()),
      'case.open': ({ line, fields }) => this.execute(uuidv7(), { type: 'open', line, ...(fields ? { fields } : {}) }),
      'case.command': ({ caseId, command }) => {
        if (command.type === 'open') return err('invalid_input', 'Utilisez case.open pour ouvrir un dossier.');
        return this.execute(caseId, command);
      },
      'case.get': async ({ caseId }) => {
        // A watching role keeps the center's cases redacted: the whole case comes from the server.
        const whole = await this.wholeCase(caseId);
        if (whole) return ok(whole.state);
        let c = this.store.getCase(caseId);
        // Not kept here (closed past the retention): the server gives it back, whole.
        if (!c && this.sync && this.sync.status().connection === 'online') {
          await this.sync.completeHistory(caseId).catch(() => {});
          c = this.store.getCase(caseId);
        }
        return c ? ok(c) : err('not_found', 'Dossier introuvable.');
      },
      'case.byHubCase': ({ hubCaseId }) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        return ok({ caseId: this.store.findByHubCase(hubCaseId) });
      },
      'case.history': async ({ caseId }) => {
        const whole = await this.wholeCase(caseId);
        if (whole) return ok(whole.events);
        if (!this.store.getCase(caseId)) return err('not_found', 'Dossier introuvable.');
        const local = this.store.history(caseId);
        // A case received as a snapshot lacks the start of its log: fetched once, then kept (with the
        // server away, the timeline says that its beginning is on the server).
        if (this.sync && this.sync.status().connection !== 'offline' && !isCompleteLog(local)) {
          await this.sync.completeHistory(caseId).catch(() => {});
          return ok(this.store.history(caseId));
        }
        return ok(local);
      },
      'case.recent': ({ limit, statuses }) => ok(this.store.recent(limit, statuses)),
      'case.summaries': ({ ids }) => ok(this.store.summariesOf(ids)),
      'case.search': async ({ phone, name, limit }) => {
        let found: CaseSummary[];
        const canonical = phone ? canonicalPhone(phone) : null;
        if (phone) {
          if (!canonical) return err('invalid_input', `Numéro invalide : « ${phone} ».`);
          found = this.store.findByPhone(canonical, limit);
        } else found = this.store.findByNamePrefix(name ?? '', limit);
        // The cases this workstation no longer keeps are on the server: asked too when it is there
        // (two seconds at most; without it, what is here).
        const lastName = (name ?? '').trim().split(/\s+/)[0] ?? '';
        if (this.sync && this.sync.status().connection === 'online' && (canonical || lastName.length >= 2)) {
          const remote = await this.sync.searchCases(canonical ? { phone: canonical } : { name: lastName }, limit).catch(() => [] as CaseSummary[]);
          const here = new Set(found.map((c) => c.id));
          const more = remote.filter((c) => !here.has(c.id));
          if (more.length) found = [...found, ...more].sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
        }
        // Who searched for whom: a search that showed patients is a read of their data.
        if (found.length > 0) this.recordRead('case.search', null, `${phone ? 'numéro' : 'nom'} « ${(phone ?? name ?? '').slice(0, 60)} » : ${found.length} dossier(s)`);
        return ok(found);
      },
      'audit.recordRead': ({ caseId, action }) => {
        this.recordRead(action, caseId, null);
        return ok({});
      },
      'audit.caseAccesses': ({ caseId }) => this.fromServer(async (s) => (await s.get(`/api/audit/cases/${caseId}`, z.strictObject({ entries: z.array(AccessEntrySchema) }))).entries),
      'audit.userReport': ({ login, from, to }) =>
        this.fromServer(async (s) => {
          const file = await s.download(`/api/audit/users/${encodeURIComponent(login)}/accesses.csv?from=${from}&to=${to}`);
          return { filename: file.filename, contentType: file.contentType, base64: file.bytes.toString('base64') };
        }),
      'draft.save': ({ caseId, baseVersion, fields }) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if (!this.store.getCase(caseId)) return err('not_found', 'Dossier introuvable.');
        const savedAt = this.now();
        this.store.saveDraft({ caseId, userId: this.session.actor.userId, baseVersion, fields, savedAt });
        return ok({ savedAt });
      },
      'draft.get': ({ caseId }) => {
        const d = this.store.getDraft(caseId);
        // A draft is its author's: another user of this workstation starts from the case.
        if (!d || d.userId !== this.session?.actor.userId) return ok(null);
        return ok({ baseVersion: d.baseVersion, fields: d.fields, savedAt: d.savedAt });
      },
      'draft.discard': ({ caseId }) => {
        this.store.deleteDraft(caseId);
        return ok({});
      },
      'draft.saveText': ({ caseId, field, text }) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if (!this.store.getCase(caseId)) return err('not_found', 'Dossier introuvable.');
        const savedAt = this.now();
        this.store.saveTextDraft({ caseId, userId: this.session.actor.userId, field, text, savedAt });
        return ok({ savedAt });
      },
      'draft.getTexts': ({ caseId }) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        const drafts = this.store.textDrafts(caseId, this.session.actor.userId);
        return ok(drafts.flatMap((d) => (TextDraftFieldSchema.safeParse(d.field).success ? [d as { field: TextDraftField; text: string; savedAt: number }] : [])));
      },
      'case.repeats': ({ caseId, callbackPhone, lastName, firstName, birthDate, reasonCode }) => {
        const at = this.now();
        const phone = callbackPhone ? canonicalPhone(callbackPhone) : null;
        const patientName = personName(lastName, firstName);
        const candidates = this.store.repeatCandidates({ phone, patientName, birthDate: birthDate ?? null, since: at - REPEAT_WINDOW_MS - 60_000, limit: 50 });
        const repeats = findRepeatCalls({ ...(caseId ? { caseId } : {}), callbackPhone: phone, patientName, patientBirthDate: birthDate ?? null, at }, candidates);
        return ok({ repeats, suggestion: suggestPriority(reasonCode, repeats) });
      },
      'case.patientHistory': ({ caseId, limit }) => {
        const c = this.store.getCase(caseId);
        if (!c) return err('not_found', 'Dossier introuvable.');
        const p = c.fields.patient;
        const found = this.store.repeatCandidates({
          phone: c.fields.callbackPhone ?? null,
          patientName: personName(p?.lastName, p?.firstName),
          birthDate: p?.birthDate ?? null,
          since: 0,
          limit,
        });
        const seen = new Set([caseId]);
        const out = found.filter((s) => !seen.has(s.id) && seen.add(s.id) && s.openedAt <= c.openedAt);
        return ok(out.sort((a, b) => b.openedAt - a.openedAt).slice(0, limit));
      },
      'queue.list': ({ track, limit }) => ok(this.store.queue(limit, track)),
      'directory.searchCommunes': ({ query, department, limit }) => ok(this.communeDirectory().search(query, limit, department)),
      'agent.setState': async (input) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if ((input.state === 'pause') !== (input.reason !== null)) return err('invalid_input', 'Une pause a un motif, et seule une pause en a un.');
        if (!this.sync) return ok({ published: false });
        try {
          await this.sync.setAgentState(input);
          return ok({ published: true });
        } catch (error) {
          return err('unavailable', `État non transmis au serveur : ${(error as Error).message}`);
        }
      },
      'agent.list': async () => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if (!this.sync) return ok([]);
        try {
          return ok(await this.sync.agents());
        } catch (error) {
          return err('unavailable', `Liste des agents indisponible : ${(error as Error).message}`);
        }
      },
      'call.report': (report) => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        // Kept on disk first: a call seen while the server is away reaches the call log later.
        this.store.queueCallReport({ id: uuidv7(), ...report }, this.session.actor.userId, this.now());
        void this.sync?.pushCallReports();
        return ok({ queued: true as const });
      },
      'calls.live': async () => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if (!this.sync) return ok([]);
        try {
          this.liveCalls = await this.sync.liveCalls();
        } catch {
          // Offline: the last calls the server pushed (the screen says how old they are).
        }
        return ok(this.liveCalls);
      },
      'lines.state': async () => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        if (!this.sync) return ok(this.lines);
        try {
          const status = await this.sync.get('/api/lines/status', LinesStatusSchema);
          const callbacks = ['arm', 'physician', 'supervisor'].includes(this.session.actor.role)
            ? (await this.sync.get('/api/callbacks', z.strictObject({ callbacks: z.array(CallbackEntrySchema) }))).callbacks
            : [];
          this.lines = { status, callbacks };
        } catch {
          // Offline: the last state the server pushed.
        }
        return ok(this.lines);
      },
      'callbacks.claim': ({ id }) => this.fromServer((s) => s.post(`/api/callbacks/${id}/claim`, z.strictObject({ number: z.string(), callerId: z.string().nullable() }), {})),
      'recordings.ofCase': ({ caseId }) => this.fromServer(async (s) => (await s.get(`/api/cases/${caseId}/recordings`, z.strictObject({ recordings: z.array(RecordingViewSchema) }))).recordings),
      'recordings.audio': ({ id }) =>
        this.fromServer(async (s) => {
          const file = await s.download(`/api/recordings/${id}/audio`);
          return { contentType: file.contentType, base64: file.bytes.toString('base64') };
        }),
      'recordings.export': ({ id, reason }) =>
        this.fromServer(async (s) => {
          const file = await s.download(`/api/recordings/${id}/export`, { reason });
          return { filename: file.filename, contentType: file.contentType, base64: file.bytes.toString('base64'), sha256: file.headers.get('x-recording-sha256') ?? '' };
        }),
      'callbacks.finish': ({ id, result }) => this.fromServer(async (s) => (await s.post(`/api/callbacks/${id}/result`, z.strictObject({ ok: z.literal(true) }), result), {})),
      'stats.today': () => this.fromServer((s) => s.get('/api/stats/today', TodayFiguresSchema)),
      'server.state': () => this.fromServer((s) => s.get('/api/server/state', ServerStateSchema)),
      'stats.period': ({ from, to, sectorId }) =>
        this.fromServer((s) => s.get(`/api/stats?from=${from}&to=${to}${sectorId ? `&sector=${encodeURIComponent(sectorId)}` : ''}`, ActivityStatisticsSchema)),
      'reports.download': (req) =>
        this.fromServer(async (s) => {
          const q = 'year' in req ? `year=${req.year}` : `month=${req.month}`;
          const file = await s.download(`/api/reports/${req.kind}?${q}`);
          return { filename: file.filename, contentType: file.contentType, base64: file.bytes.toString('base64') };
        }),
      'incentives.get': () => this.fromServer((s) => s.get('/api/settings/incentives', IncentiveSettingsSchema)),
      'incentives.set': (settings) => this.fromServer((s) => s.put('/api/settings/incentives', IncentiveSettingsSchema, settings)),
      'phone.account': () => {
        if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
        const account = this.session.mode === 'local' ? (this.options.sip ?? null) : this.sipAccount;
        if (account && !this.connectOrigins().includes(new URL(account.wsUrl).origin.replace(/^http/, 'ws'))) {
          return err(
            'forbidden',
            `Le serveur téléphonique ${new URL(account.wsUrl).origin} n’est pas autorisé sur ce poste (PERMANENCE_SIP_ORIGINS).`,
          );
        }
        return ok(account);
      },
      'effectors.state': () => (this.session ? ok(this.effectors) : err('not_logged_in', 'Aucune session ouverte : connectez-vous.')),
      'effectors.sendRequest': (input) => this.fromServer((s) => s.post('/api/effector-requests', EffectorRequestSchema, input)),
      'effectors.cancelRequest': ({ requestId }) =>
        this.fromServer(async (s) => {
          await s.post(`/api/effector-requests/${requestId}/cancel`, z.strictObject({ ok: z.literal(true) }), {});
          return { cancelled: true as const };
        }),
      'agenda.search': (q) => this.fromServer(async (s) => (await s.post('/api/agenda/search', z.strictObject({ slots: z.array(SlotSchema) }), q)).slots),
      'agenda.hold': (input) => this.fromServer((s) => s.post('/api/agenda/holds', BookingSchema, input)),
      'agenda.confirm': ({ bookingId, ...input }) => this.fromServer((s) => s.post(`/api/agenda/bookings/${bookingId}/confirm`, BookingSchema, input)),
      'agenda.setState': ({ bookingId, state }) => this.fromServer((s) => s.post(`/api/agenda/bookings/${bookingId}/state`, BookingSchema, { state })),
      'agenda.surnombre': (input) => this.fromServer((s) => s.post('/api/agenda/surnombre', BookingSchema, input)),
      'agenda.bookings': () => this.fromServer(async (s) => (await s.get('/api/agenda/bookings', z.strictObject({ bookings: z.array(BookingSchema) }))).bookings),
      'agenda.offer': ({ from, to }) => this.fromServer((s) => s.get(`/api/agenda/offer?from=${from}&to=${to}`, OfferFiguresSchema)),
      'effectors.setAccount': (input) => this.fromServer((s) => s.post('/api/admin/effector-accounts', z.strictObject({ effectorId: z.string() }), input)),
      'cascade.get': () => this.fromServer((s) => s.get('/api/settings/cascade', CascadeSettingsSchema)),
      'cascade.set': (input) => this.fromServer((s) => s.put('/api/settings/cascade', CascadeSettingsSchema, input)),
      'organisations.list': () => this.fromServer(async (s) => (await s.get('/api/organisations', z.strictObject({ organisations: z.array(OrganisationSchema) }))).organisations),
      'organisations.set': (org) => this.fromServer((s) => s.put('/api/admin/organisations', OrganisationSchema, org)),
      'organisations.assignUser': ({ login, organisationId }) =>
        this.fromServer((s) => s.put(`/api/admin/users/${encodeURIComponent(login)}/organisation`, z.strictObject({ login: z.string(), organisationId: z.string().nullable() }), { organisationId })),
      'hub.status': () => this.fromServer((s) => s.get('/api/hub/status', HubOverviewSchema)),
      'hub.quarantine': () => this.fromServer(async (s) => (await s.get('/api/hub/quarantine', z.strictObject({ items: z.array(QuarantineItemSchema) }))).items),
      'hub.replay': ({ distributionId }) => this.fromServer((s) => s.post(`/api/hub/quarantine/${encodeURIComponent(distributionId)}/replay`, z.strictObject({ outcome: z.enum(['applied', 'quarantined']) }), {})),
      'hub.appointments': () => this.fromServer(async (s) => (await s.get('/api/hub/appointments', z.strictObject({ appointments: z.array(HubAppointmentSchema) }))).appointments),
      'hub.linkAppointment': ({ appointmentId, caseId }) => this.fromServer((s) => s.post(`/api/hub/appointments/${encodeURIComponent(appointmentId)}/link`, z.strictObject({ outcome: z.literal('linked') }), { caseId })),
      'hub.caseMessages': ({ caseId }) => this.fromServer(async (s) => (await s.get(`/api/hub/cases/${caseId}/messages`, z.strictObject({ messages: z.array(HubJournalEntrySchema) }))).messages),
      'directory.duty': () => ok(this.store.getDirectory()),
      'directory.import': ({ kind, csv }) => this.importDirectory(kind, csv),
      'directory.departments': () => ok(this.communeDirectory().departments),
      'calendar.pdsaAt': ({ department, at }) => ok(pdsaAt(at ?? this.now(), department, this.pdsaRules(department))),
      'pdsa.rules': () => this.fromServer((s) => s.get('/api/settings/pdsa', PdsaRulesSchema)),
      'pdsa.setRules': async (rules) => {
        const r = await this.fromServer((s) => s.put('/api/settings/pdsa', PdsaRulesSchema, rules));
        if (r.ok) {
          this.store.setMeta('pdsa-rules', JSON.stringify(r.value));
          this.emit('pdsa.changed', {});
        }
        return r;
      },
    };
  }
}
