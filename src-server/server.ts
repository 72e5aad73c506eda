/**
 * The central regulation server: HTTP + WebSocket API over one PostgreSQL (real, or PGlite
 * in-process). Tenancy: a department is a tenant; every request and socket is authenticated and
 * scoped to the tenant named in its token. Writes go through one TenantWriter per tenant, on the
 * instance that holds the tenant's lock (db/center-leases.ts); the other instances forward pushes to
 * it, and fan its committed events out to their own sockets (db/instance-bus.ts).
 */
import { LATEST_SERVER_SCHEMA_VERSION } from './db/migrations.js';
import { mark } from './latency-marks.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { packageRoot } from '../src-node-shared/package-root.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { ROLES, type Role } from '../src-shared/domain/codes.js';
import {
  LoginRequestSchema,
  MAX_PULL_EVENTS,
  MAX_SNAPSHOT_CASES,
  AgentStateRequestSchema,
  CaseSearchQuerySchema,
  PushRequestSchema,
  type AgentPresence,
  type ServerEvent,
  type ServerWsFrame,
} from '../src-shared/sync-protocol/messages.js';
import { encodeSnapshotPage, SNAPSHOT_PAGE_CONTENT_TYPE } from '../src-shared/sync-protocol/snapshot-page.js';
import { isTransientDatabaseError, type SqlDatabase } from './db/sql.js';
import { summaryOf } from '../src-shared/domain/case-summary.js';
import { searchKey } from '../src-shared/text/normalize.js';
import { TERMINAL_STATUSES } from '../src-shared/domain/case-lifecycle.js';
import type { RegulationCase } from '../src-shared/schemas/case.js';
import { DirectoryImportSchema, directoryFromRows, type Directory, type DirectoryKind } from '../src-shared/schemas/directory.js';
import { createUser, findUser, hashPassword, TokenService, UserExistsError, type UserRow } from './services/auth.js';
import { PscClient, type PscConfig } from './services/psc-client.js';
import { registerPscRoutes } from './routes/psc.js';
import type { SecuritySettings } from '../src-shared/schemas/security.js';
import { needsRehash } from '../src-node-shared/password-hash.js';
import { Sessions, type SessionEndReason } from './services/sessions.js';
import { Audit } from './services/audit.js';
import { LoginGuard } from './services/login-guard.js';
import { passwordProblem } from './services/password-policy.js';
import { SecondFactor, securitySettingsOf, setSecuritySettings } from './services/second-factor.js';
import { SecondFactorEnrolmentSchema, SecuritySettingsSchema, TotpCodeSchema } from '../src-shared/schemas/security.js';
import { access, ADMIN, ALL_STAFF, CASE_ROLES, installAccessControl, principal, readerOf, type AccessControl, type Principal } from './http/access.js';
import { redactCase, redactEvent, redactFrame, watches } from '../src-shared/domain/redaction.js';
import { NotHolderError, TenantWriter, WriterOverloadedError } from './services/tenant-writer.js';
import { CenterLeases, centerLockHeldSql, type TakeOver } from './db/center-leases.js';
import type { ServerState } from '../src-shared/schemas/server-state.js';
import { InstanceBus } from './db/instance-bus.js';
import { hostname } from 'node:os';
import { ApiError, body, parseInput } from './http/errors.js';
import { registerActivityRoutes } from './routes/activity.js';
import { registerAgendaRoutes } from './routes/agenda.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerEffectorRoutes, serveEffectorPage, type EffectorRoutes } from './routes/effectors.js';
import { CallLog } from './services/call-log.js';
import { eventFromRow, type EventRow } from './services/event-rows.js';
import type { HubConfig } from './hubsante/config.js';
import { HubService } from './hubsante/hub-service.js';
import { HubSchemas } from './hubsante/schemas.js';
import { hubChangedFrame, registerHubRoutes } from './routes/hubsante.js';
import { linesFrames, registerLineRoutes } from './routes/lines.js';
import { registerRecordingRoutes } from './routes/recordings.js';
import { LineDistributor, type TelephonyConfig } from './telephony/line-distributor.js';
import { departmentTimeZone } from '../src-shared/domain/departments.js';
import { pdsaAt } from '../src-shared/domain/pdsa-calendar.js';
import { pdsaRulesOf } from './services/pdsa-settings.js';

export interface ServerOptions {
  db: SqlDatabase;
  /**
   * A second listener for what must be reachable from the internet (the effector doctors' page and
   * its API, Pro Santé Connect's return), so that the regulation API can stay on the hospital's
   * network: everything else answers 404 there.
   */
  publicListener?: { host: string; port: number };
  /** HTTPS with this certificate chain and key (PEM), and Strict-Transport-Security on every answer. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  tokenSecret: string;
  tokenTtlSeconds?: number;
  host?: string;
  port?: number;
  /** Largest request body accepted (bytes). */
  bodyLimit?: number;
  logLevel?: string;
  now?: () => number;
  /** Socket buffer above which data frames are replaced by a poke (the client pulls). */
  wsHighWaterBytes?: number;
  /** Heartbeat period: a ping and the head sequence, so a client that lost a frame notices. */
  heartbeatMs?: number;
  /** The built effector page (vite.effector-page.config.ts), served under /effecteur/. */
  effectorPageDir?: string;
  /** Hub Santé links, one per connected center (see hubsante/config.ts). */
  hubsante?: HubConfig[];
  /** Period of the Hub link's follow-up of sent messages (tests shorten it). */
  hubTickMs?: number;
  /** Period of the search for overdue effector requests in the database (tests shorten it). */
  effectorSweepMs?: number;
  /** The proxies whose X-Forwarded-For is believed (addresses or CIDR; Fastify's trustProxy). */
  trustProxy?: string | string[];
  /** How long a workstation's or an effector's session lasts at most, refreshes included (hours, default 12). */
  sessionHours?: number;
  /** The version of the token keys in use (rotation: the previous version's tokens still open). */
  tokenKeyVersion?: number;
  /** Pro Santé Connect: physicians log in with it (the center's registered client). */
  psc?: PscConfig;
  /** The call distributor of the center's lines (Kamailio's evapi, the lines and their settings). */
  telephony?: TelephonyConfig;
  /** Attempts allowed before delays (tests lower them). */
  loginLimits?: { accountFree: number; addressFree: number; maxDelaySeconds: number };
  /**
   * Several instances on one database (high availability): this one's name, the address the others
   * forward pushes to (default: its own listener), and the timings of the centers' locks.
   */
  instance?: { name?: string; advertisedUrl?: string; keepAliveMs?: number; leaseMs?: number; retryMs?: number };
  /** The database is a cluster with a synchronous standby (Patroni): its absence is a degraded state. */
  expectStandby?: boolean;
  /**
   * Routes added to the same HTTP stack before it listens (a benchmark's baseline: the same read
   * through the same server, without the access check and the audit). Each must declare its rule.
   */
  extraRoutes?: (app: FastifyInstance) => void;
}

export interface RegulationServer {
  app: FastifyInstance;
  url: string;
  /** The internet-facing listener's address, when there is one (ServerOptions.publicListener). */
  publicUrl?: string;
  port: number;
  /** The center's writer, on the instance that holds the center (NotHolderError elsewhere). */
  writer(tenant: string): Promise<TenantWriter>;
  /** The centers this instance holds now. */
  heldCenters(): string[];
  /** This instance's name. */
  instance: string;
  connectedSockets(tenant: string): number;
  hub(tenant: string): HubService | undefined;
  /** The lines' call distributor, when the server has lines (tests drive its recordings' jobs). */
  lines: LineDistributor | null;
  /** Every route with its access rule (the route matrix test). */
  routes: AccessControl['routes'];
  sessions: Sessions;
  audit: Audit;
  close(): Promise<void>;
}

/** How long a push waits for a center's new holder (a take-over) before the client is told to retry. */
const FORWARD_WAIT_MS = 3_000;
/** Set on a push forwarded by another instance (never forwarded twice). */
const FORWARDED_HEADER = 'x-permanence-forwarded-by';
/**
 * Routes answered by the instance that holds the caller's center: its memory has the lines' queue
 * and the Hub link, its disk the recordings (method and route pattern).
 */
const HOLDER_ROUTES = new Set([
  'GET /api/lines/status',
  'POST /api/callbacks/:id/claim',
  'POST /api/callbacks/:id/result',
  'GET /api/hub/status',
  'GET /api/hub/quarantine',
  'POST /api/hub/quarantine/:id/replay',
  'GET /api/hub/appointments',
  'POST /api/hub/appointments/:id/link',
  'GET /api/hub/cases/:id/messages',
  'GET /api/cases/:id/recordings',
  'GET /api/recordings/:id/audio',
  'POST /api/recordings/:id/export',
]);

/** Made once: a schema is costly to build, cheap to apply (a case id is checked on every read). */
const IdSchema = z.uuid();
const PullQuerySchema = z.strictObject({
  after: z.coerce.number().int().nonnegative(),
  limit: z.coerce.number().int().min(1).max(MAX_PULL_EVENTS).default(1000),
});
const SnapshotQuerySchema = z.strictObject({
  after: z.uuid().optional(),
  /** Closed cases last changed before this are left out (the workstation keeps them no longer). */
  closedSince: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_SNAPSHOT_CASES).default(1000),
});
const CreateUserSchema = z.strictObject({
  login: z.string().trim().min(1).max(100),
  displayName: z.string().trim().min(2).max(100),
  role: z.enum(ROLES),
  password: z.string().min(12, 'mot de passe : 12 caractères au moins').max(200),
});

const UpdateUserSchema = z.strictObject({
  displayName: z.string().trim().min(2).max(100).optional(),
  role: z.enum(ROLES).optional(),
  active: z.boolean().optional(),
  password: z.string().min(12, 'mot de passe : 12 caractères au moins').max(200).optional(),
  /** The user lost his phone: his second factor is removed; he enrols a new one at his next login. */
  resetSecondFactor: z.literal(true).optional(),
});

const parse = parseInput;


export async function startServer(options: ServerOptions): Promise<RegulationServer> {
  const db = options.db;
  const now = options.now ?? Date.now;
  const tokens = new TokenService(options.tokenSecret, options.tokenTtlSeconds ?? 1800, now, options.tokenKeyVersion ?? 1);
  const sessionHours = options.sessionHours ?? 12;
  const sessions = new Sessions(db, now, { workstationHours: sessionHours, effectorHours: sessionHours, cacheMs: 2_000 });
  const audit = new Audit(db.relaxed, now);
  const guard = new LoginGuard(db.relaxed, options.loginLimits);
  const secondFactor = new SecondFactor(db, options.tokenSecret, now);
  const wsHighWater = options.wsHighWaterBytes ?? 1024 * 1024;
  // Each socket gets the least its user needs: case events for those who work on cases, the
  // center's state for an admin, the agenda's changes for a partner organisation.
  const sockets = new Map<string, Map<WebSocket, Feed>>();
  /** The sockets of watching roles (supervisors): their case events are redacted. */
  const watchingSockets = new WeakSet<WebSocket>();
  const writers = new Map<string, Promise<TenantWriter>>();
  let effectors: EffectorRoutes | undefined;
  const hubs = new Map<string, HubService>();

  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: {
      level: options.logLevel ?? 'info',
      // Tokens travel in headers and (for browsers) the WebSocket query string: never log them.
      redact: ['req.headers.authorization'],
      serializers: { req: (req) => ({ method: req.method, url: req.url.split('?')[0] }) },
    },
    genReqId: () => randomUUID(),
    // A restart must not wait for idle keep-alive connections of workstations.
    forceCloseConnections: true,
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
  }) as unknown as FastifyInstance;
  if (options.tls) {
    // Browsers (the effector page) remember to use HTTPS only; workstations refuse http:// anyway.
    app.addHook('onSend', async (_req, reply) => {
      reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    });
  }
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const accessControl = installAccessControl(app, { tokens, sessions, now, db });
  // Nothing the API answers is kept by a browser or a proxy: most answers carry patient data.
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  const broadcast = (tenant: string, epoch: string, events: ServerEvent[]) => {
    const set = sockets.get(tenant);
    if (!set || set.size === 0) return;
    let data: string | undefined;
    let redacted: string | undefined;
    let poke: string | undefined;
    for (const [ws, feed] of set) {
      if (feed !== 'cases' || ws.readyState !== ws.OPEN) continue;
      poke ??= JSON.stringify({ type: 'poke', epoch, headSeq: events[events.length - 1]!.serverSeq } satisfies ServerWsFrame);
      // A slow socket gets a poke instead of more data: it pulls at its own pace.
      mark('ws-push');
      if (ws.bufferedAmount > wsHighWater) ws.send(poke);
      else if (watchingSockets.has(ws)) ws.send((redacted ??= JSON.stringify(redactFrame({ type: 'events', epoch, events }))));
      else ws.send((data ??= JSON.stringify({ type: 'events', epoch, events } satisfies ServerWsFrame)));
    }
  };

  // ---- one writer per center, on the instance that holds it ------------------------------------

  const instanceName = options.instance?.name ?? `${hostname()}-${process.pid}`;
  /** Where the other instances reach this one (known once listening). */
  let selfUrl: string | null = null;
  /** The last sequence fanned out to this instance's sockets, per center (the bus's cursor). */
  const fanned = new Map<string, number>();
  const openWriter = (tenant: string, token: string): Promise<TenantWriter> => {
    const hub = hubs.get(tenant);
    const w: Promise<TenantWriter> = TenantWriter.open(db, tenant, {
      now,
      holderToken: token,
      onError: (what, error) => app.log.error({ err: error, tenant }, `après un commit : ${what}`),
      ...(hub ? hub.writerHooks : {}),
      onCommitted: (events) => {
        void w.then((wr) => {
          fanned.set(tenant, events[events.length - 1]!.serverSeq);
          broadcast(tenant, wr.epoch, events);
        });
        // A decision that confirms an effector's appointment reaches that effector's page.
        effectors?.service.onCaseEvents(tenant, events);
      },
      onFenced: () => {
        // Another instance wrote its token: this one's lock is gone (it will hear of it); pushes go there now.
        if (writers.get(tenant) === w) writers.delete(tenant);
        app.log.warn({ tenant, instance: instanceName }, 'écrivain arrêté : un autre serveur tient ce centre');
      },
    });
    return w;
  };
  const takeOvers: (TakeOver & { at: number; startedMs: number })[] = [];
  let leases: CenterLeases | null = null;
  let leasesReady: Promise<void> | null = null;
  const writer = async (tenant: string): Promise<TenantWriter> => {
    await leasesReady;
    // A center between two holders (this instance's lock connection was cut and is being taken
    // again, or another instance is taking over): wait for it a moment.
    const deadline = Date.now() + FORWARD_WAIT_MS;
    for (;;) {
      const w = writers.get(tenant);
      if (w) return w;
      if (Date.now() > deadline) throw new NotHolderError(tenant);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Fan-out of what another instance committed, one center at a time, in sequence order. */
  const fanChains = new Map<string, Promise<void>>();
  const fanOut = (tenant: string, head: number, evenIfHeld = false): Promise<void> => {
    const run = async () => {
      if (writers.has(tenant) && !evenIfHeld) return;
      const from = fanned.get(tenant);
      if (from === undefined || !sockets.get(tenant)?.size) {
        if (head !== Number.MAX_SAFE_INTEGER) fanned.set(tenant, Math.max(from ?? 0, head));
        return;
      }
      let cursor = from;
      for (;;) {
        const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE tenant = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 1000', [tenant, cursor, head], 'fan-out-events');
        if (rows.length === 0) break;
        const events = rows.map(eventFromRow);
        const { epoch } = await headOf(tenant);
        broadcast(tenant, epoch, events);
        cursor = events[events.length - 1]!.serverSeq;
        fanned.set(tenant, cursor);
        if (rows.length < 1000) break;
      }
    };
    const next = (fanChains.get(tenant) ?? Promise.resolve()).then(run).catch((error: unknown) => {
      // Workstations see the head on the next heartbeat and pull what they missed.
      app.log.warn({ tenant, error: (error as Error).message }, 'événements d’une autre instance non diffusés');
    });
    fanChains.set(tenant, next);
    return next;
  };
  const bus = new InstanceBus({
    db,
    instance: instanceName,
    now,
    onHead: (tenant, head) => void fanOut(tenant, head),
    onFrame: (tenant, data) => {
      const frame = JSON.parse(data) as ServerWsFrame;
      if (FRAME_FEEDS[frame.type]) sendFrame(tenant, frame, data);
    },
    onEffectors: (tenant, change) => effectors?.changedElsewhere({ tenant, effectorIds: change.effectorIds, regulators: false, ...(change.requestId ? { requestId: change.requestId } : {}) }),
    onReconnected: () => {
      for (const tenant of sockets.keys()) void fanOut(tenant, Number.MAX_SAFE_INTEGER);
    },
    log: (level, message, detail) => app.log[level](detail ?? {}, message),
  });
  /** The center's epoch and head as this instance knows them (its writer's, or the database's). */
  const headOf = async (tenant: string): Promise<{ epoch: string; lastSeq: number }> => {
    const w = writers.get(tenant);
    if (w) {
      const wr = await w;
      if (!wr.fenced) return { epoch: wr.epoch, lastSeq: wr.lastSeq };
    }
    const { rows } = await db.query<{ epoch: string; last_seq: number }>('SELECT epoch, last_seq FROM tenants WHERE id = $1', [tenant], 'tenant-head');
    if (!rows[0]) throw new ApiError(404, 'not_found', 'Centre inconnu.');
    return { epoch: rows[0].epoch, lastSeq: Number(rows[0].last_seq) };
  };

  /** The workstation user the access hook let in (the route's rule names who may come). */
  const authenticate = async (req: FastifyRequest): Promise<Principal & { role: Role }> => principal(req) as Principal & { role: Role };

  app.setErrorHandler((error, req, reply) => {
    if (error instanceof ApiError) return reply.status(error.status).send(body(error));
    if (error instanceof WriterOverloadedError) {
      return reply.status(503).header('Retry-After', '1').send(body(new ApiError(503, 'unavailable', 'Serveur surchargé : réessai automatique.')));
    }
    if (isTransientDatabaseError(error)) {
      // A database failover or restart: nothing was decided, the workstation sends it again.
      req.log.warn({ err: error }, 'base de données indisponible un instant');
      return reply.status(503).header('Retry-After', '1').send(body(new ApiError(503, 'unavailable', 'Base de données en cours de bascule : réessai automatique.')));
    }
    if (error instanceof NotHolderError) {
      // A take-over in progress (the instance that wrote for the center is gone): the workstation
      // keeps its outbox and sends it again; nothing was decided.
      return reply.status(503).header('Retry-After', '1').send(body(new ApiError(503, 'unavailable', 'Serveur central en cours de reprise : réessai automatique.')));
    }
    const e = error as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send(body(new ApiError(413, 'too_large', 'Requête trop volumineuse.')));
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send(body(new ApiError(e.statusCode, 'invalid_input', `Requête invalide : ${e.message}`)));
    }
    req.log.error({ err: error }, 'internal error');
    return reply.status(500).send(body(new ApiError(500, 'internal', 'Erreur interne du serveur.')));
  });

  // Liveness: the process answers (a load balancer restarts it otherwise). No database round trip.
  app.get('/api/health', access({ public: 'supervision : le processus répond' }), async () => ({ ok: true, engine: db.engine }));
  // Readiness: the database answers within 2 s and its schema is this server's; the Hub Santé
  // links are reported (a Hub down does not take the server out of rotation: workstations keep working).
  app.get('/api/ready', access({ public: 'supervision : base joignable, migrations faites, liens Hub Santé' }), async (_req, reply) => {
    const expected = LATEST_SERVER_SCHEMA_VERSION;
    let database: { ok: boolean; schema?: number; error?: string };
    try {
      const { rows } = await withTimeout(db.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations'), 2_000);
      const schema = Number(rows[0]?.v ?? 0);
      database = schema === expected ? { ok: true, schema } : { ok: false, schema, error: `schéma ${schema}, attendu ${expected} : lancez « permanence-server migrate »` };
    } catch (error) {
      database = { ok: false, error: `base de données injoignable (${(error as Error).message})` };
    }
    const hub = Object.fromEntries([...hubs.entries()].map(([tenant, h]) => [tenant, h.link.connected ? 'connected' : 'disconnected']));
    // Which centers this instance writes for, and its last take-overs (several instances: one holds each center).
    const instance = {
      name: instanceName,
      centers: leases?.centers() ?? [],
      takeOvers: takeOvers.slice(-5).map((t) => ({ tenant: t.tenant, at: t.at, cause: t.cause, previous: t.previous, vacantMs: t.vacantMs, startedMs: t.startedMs })),
    };
    return reply.status(database.ok ? 200 : 503).send({ ready: database.ok, database, hub, instance });
  });
  // The server side as one state for the wall screen: a failover in progress, degraded, or normal.
  app.get('/api/server/state', access({ staff: ALL_STAFF }), async (req): Promise<ServerState> => {
    const claims = await authenticate(req);
    const reasons: string[] = [];
    let state: ServerState['state'] = 'ok';
    let holder: string | null = null;
    try {
      const { rows } = await withTimeout(
        db.query<{ writer_instance: string | null; held: boolean | null; sync: number | null }>(
          `SELECT writer_instance,
             ${db.engine === 'postgres' ? centerLockHeldSql('$1') : 'TRUE'} AS held,
             ${options.expectStandby ? "(SELECT count(*)::int FROM pg_stat_replication WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum'))" : 'NULL::int'} AS sync
           FROM tenants WHERE id = $1`,
          [claims.tenant],
        ),
        2_000,
      );
      const row = rows[0];
      holder = row?.held ? row.writer_instance : null;
      if (!row?.held) {
        state = 'failover';
        reasons.push('Reprise du serveur central en cours : aucune instance n’écrit pour le centre (les postes gardent leurs saisies).');
      }
      if (options.expectStandby && (row?.sync ?? 0) === 0) {
        if (state === 'ok') state = 'degraded';
        reasons.push('Base de données sans secours synchrone : une panne de plus arrêterait le serveur central.');
      }
    } catch (error) {
      state = 'failover';
      reasons.push(`Base de données injoignable (${(error as Error).message}) : bascule en cours ou panne.`);
    }
    return { state, reasons, instance: instanceName, holder, at: now() };
  });
  await serveEffectorPage(app, options.effectorPageDir ?? join(packageRoot(), 'dist/effector-page'));

  app.post('/api/login', access({ public: 'ouverture de session' }), async (req) => {
    const input = parse(LoginRequestSchema, req.body);
    const account = `${input.tenant}:${input.login}`;
    // The same work and the same answer for an unknown user and a wrong password.
    const { found: user, good } = await guard.checkPassword(account, req.ip, input.password, () => findUser(db, input.tenant, input.login));
    if (!user || !user.active || !good) {
      req.log.warn({ tenant: input.tenant, login: input.login, address: req.ip, workstation: input.workstationId }, 'login refused');
      if (user) await audit.account(user.tenant, { actor: user.id, action: 'login.refused', address: req.ip, detail: { workstation: input.workstationId, inactive: !user.active } });
      throw new ApiError(401, 'unauthenticated', 'Identifiant ou mot de passe incorrect.');
    }
    // The second factor: the account's own, or an enrolment the center requires.
    const security = await securitySettingsOf(db, user.tenant);
    let factor: 'none' | 'checked' | 'enrol' = 'none';
    if (user.totp_secret) {
      if (!input.totp) throw new ApiError(401, 'second_factor_required', 'Code de l’application d’authentification requis.');
      if (!(await secondFactor.check(user.id, user.totp_secret, input.totp))) {
        await audit.account(user.tenant, { actor: user.id, action: 'login.refused', address: req.ip, detail: { workstation: input.workstationId, secondFactor: 'wrong code' } });
        throw new ApiError(401, 'unauthenticated', 'Code incorrect ou déjà utilisé : attendez le suivant.');
      }
      factor = 'checked';
    } else if (security.requireSecondFactor) factor = 'enrol';
    if (needsRehash(user.password_hash)) await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, await hashPassword(input.password)]);
    const [, answer] = await Promise.all([
      guard.succeeded(account, req.ip),
      openLogin(user, { workstationId: input.workstationId, address: req.ip, method: factor === 'checked' ? 'password+totp' : 'password', factor, security }),
    ]);
    req.log.info({ tenant: user.tenant, user: user.id, workstation: input.workstationId, address: req.ip }, 'login');
    return answer;
  });

  /** A session opened for this user (password, or Pro Santé Connect), and what the workstation gets. */
  const openLogin = async (
    user: UserRow,
    how: { workstationId: string; address: string; method: 'password' | 'password+totp' | 'psc'; acr?: string | null; factor: 'none' | 'checked' | 'enrol'; security: SecuritySettings },
  ) => {
    const [{ rows }, session] = await Promise.all([
      db.query<{ epoch: string; department: string; sip_ws_url: string | null; sip_domain: string | null }>('SELECT epoch, department, sip_ws_url, sip_domain FROM tenants WHERE id = $1', [user.tenant]),
      sessions.open({
        tenant: user.tenant,
        principal: user.id,
        kind: 'workstation',
        workstation: how.workstationId,
        address: how.address,
        method: how.method,
        acr: how.acr ?? null,
        enrolmentPending: how.factor === 'enrol',
      }),
    ]);
    const t = rows[0]!;
    // The SIP account's HA1 only to those who take calls: not to an admin, not to a partner organisation.
    const takesCalls = CASE_ROLES.includes(user.role) && !user.organisation_id;
    const sip =
      takesCalls && t.sip_ws_url && t.sip_domain && user.sip_username && user.sip_ha1
        ? { wsUrl: t.sip_ws_url, domain: t.sip_domain, username: user.sip_username, ha1: user.sip_ha1 }
        : null;
    const [{ token, expiresAt }] = await Promise.all([
      tokens.issue('workstation', { userId: user.id, tenant: user.tenant, role: user.role, displayName: user.display_name, workstationId: how.workstationId, sessionId: session.id }),
      audit.account(user.tenant, { actor: user.id, action: 'login', address: how.address, detail: { workstation: how.workstationId, session: session.id, method: how.method, acr: how.acr ?? undefined } }),
    ]);
    return {
      token,
      expiresAt,
      sessionEndsAt: session.expiresAt,
      secondFactor: how.factor,
      idleLockSeconds: how.security.idleLockSeconds[user.role],
      epoch: t.epoch,
      department: t.department,
      sip,
      user: { id: user.id, tenant: user.tenant, login: user.login, displayName: user.display_name, role: user.role, organisation: user.organisation_id ?? null },
    };
  };


  // The session is checked by the access hook (open, account unchanged): a new token of the same session.
  app.post('/api/token/refresh', access({ staff: ALL_STAFF, partner: true, duringEnrolment: true }), async (req) => {
    const p = principal(req);
    await sessions.touch(p.sessionId);
    return tokens.issue('workstation', { userId: p.userId, tenant: p.tenant, role: p.role, displayName: p.displayName, workstationId: p.workstationId, sessionId: p.sessionId });
  });

  app.post('/api/logout', access({ staff: ALL_STAFF, partner: true, effector: true, duringEnrolment: true }), async (req) => {
    const p = principal(req);
    await sessions.end(p.tenant, p.sessionId, 'logout');
    await audit.account(p.tenant, { actor: p.userId, action: 'logout', address: p.address, detail: { session: p.sessionId, workstation: p.workstationId } });
    return { ok: true };
  });

  // The second factor: a secret shown once (QR code), confirmed by a first code. Any user may
  // enrol; a session that must enrol may do only this.
  app.post('/api/me/second-factor/enrol', access({ staff: ALL_STAFF, partner: true, duringEnrolment: true }), async (req) => {
    const p = principal(req);
    const enrolment = await secondFactor.enrol(p.userId, p.userId.slice(p.userId.indexOf(':') + 1), `Permanence (${p.tenant})`);
    await audit.account(p.tenant, { actor: p.userId, action: 'second_factor.enrol', address: p.address });
    return SecondFactorEnrolmentSchema.parse(enrolment);
  });

  app.post('/api/me/second-factor/confirm', access({ staff: ALL_STAFF, partner: true, duringEnrolment: true }), async (req) => {
    const p = principal(req);
    const { code } = parse(z.strictObject({ code: TotpCodeSchema }), req.body);
    if (!(await secondFactor.confirm(p.userId, code))) throw new ApiError(400, 'invalid_input', 'Code incorrect : vérifiez l’heure du téléphone et saisissez le code affiché.');
    await sessions.completeEnrolment(p.sessionId);
    await audit.account(p.tenant, { actor: p.userId, action: 'second_factor.confirmed', address: p.address });
    return { ok: true };
  });

  app.get('/api/settings/security', access({ staff: ALL_STAFF }), async (req) => securitySettingsOf(db, principal(req).tenant));

  app.put('/api/settings/security', access({ staff: ADMIN }), async (req) => {
    const p = principal(req);
    const input = parse(SecuritySettingsSchema, req.body);
    await setSecuritySettings(db, p.tenant, input, p.userId, now());
    await audit.account(p.tenant, { actor: p.userId, action: 'settings.security', address: p.address, detail: input });
    return securitySettingsOf(db, p.tenant);
  });

  // A browser's WebSocket cannot carry the Authorization header: it presents this one-time ticket.
  app.post('/api/ws-ticket', access({ staff: ALL_STAFF, partner: true, effector: true }), async (req) => ({ ticket: await accessControl.ticket(principal(req)) }));

  app.post('/api/sync/push', access({ staff: CASE_ROLES }), async (req, reply) => {
    const claims = await authenticate(req);
    const input = parse(PushRequestSchema, req.body);
    // The center is written by the instance that holds it: here, or forwarded to it. A holder gone
    // is waited for (another instance takes the center within seconds), then the client retries.
    const deadline = Date.now() + FORWARD_WAIT_MS;
    for (;;) {
      const at = await atHolder(claims.tenant, req, reply, deadline);
      if ('forwarded' in at) return at.forwarded;
      try {
        const w = await at.writer;
        const verdicts = await w.submit(
          input.mutations.map((mutation) => ({
            mutation,
            actor: { userId: claims.userId, displayName: claims.displayName, role: claims.role },
            workstationId: claims.workstationId,
          })),
        );
        return { epoch: w.epoch, headSeq: w.lastSeq, verdicts };
      } catch (error) {
        // This instance stepped down meanwhile: the push goes to the new holder.
        if (!(error instanceof NotHolderError) || Date.now() > deadline) throw error;
      }
    }
  });

  /** A request sent on to the instance that holds the center, as received; null when none could take it. */
  const forwardToHolder = async (tenant: string, req: FastifyRequest): Promise<{ status: number; headers: Headers; body: Buffer } | null> => {
    const { rows } = await db.query<{ writer_url: string | null; writer_instance: string | null }>('SELECT writer_url, writer_instance FROM tenants WHERE id = $1', [tenant]);
    const holder = rows[0];
    // No holder, or the row still names this instance or its address (this process restarted on
    // the same port before taking the center again): wait for the take-over rather than loop here.
    if (!holder?.writer_url || holder.writer_instance === instanceName || holder.writer_url === selfUrl) return null;
    try {
      const hasBody = req.body !== undefined && req.body !== null;
      const res = await fetch(`${holder.writer_url}${req.url}`, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', [FORWARDED_HEADER]: instanceName, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      // The holder itself losing the center answers 503: wait for the next one.
      if (res.status === 503) return null;
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    } catch {
      return null;
    }
  };
  const sendForwarded = (reply: FastifyReply, f: { status: number; headers: Headers; body: Buffer }) => {
    for (const h of ['content-type', 'content-disposition', 'retry-after']) {
      const v = f.headers.get(h);
      if (v) reply.header(h, v);
    }
    return reply.status(f.status).send(f.body);
  };
  /**
   * Where a request about this center is answered: this instance's writer if it holds the center,
   * else the holder's answer to the request sent on to it. A take-over is waited for until
   * `deadline`; a request already forwarded is never forwarded again (its sender retries).
   */
  const atHolder = async (tenant: string, req: FastifyRequest, reply: FastifyReply, deadline: number): Promise<{ writer: Promise<TenantWriter> } | { forwarded: FastifyReply }> => {
    for (;;) {
      const local = writers.get(tenant);
      if (local) return { writer: local };
      if (req.headers[FORWARDED_HEADER] !== undefined) throw new NotHolderError(tenant);
      const forwarded = await forwardToHolder(tenant, req);
      if (forwarded) return { forwarded: sendForwarded(reply, forwarded) };
      if (Date.now() > deadline) throw new NotHolderError(tenant);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // What lives with the center's holder (the lines' queue and calls, the Hub link, the recordings
  // it stored): asked on another instance, sent on to the holder (waited for during a take-over).
  app.addHook('preHandler', async (req, reply) => {
    if (!HOLDER_ROUTES.has(`${req.method} ${req.routeOptions.url}`) || !req.principal) return;
    const at = await atHolder(req.principal.tenant, req, reply, Date.now() + FORWARD_WAIT_MS);
    if ('forwarded' in at) return at.forwarded;
  });

  app.get('/api/sync/pull', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await authenticate(req);
    const q = parse(PullQuerySchema, req.query);
    const w = await headOf(claims.tenant);
    const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
      claims.tenant,
      q.after,
      q.limit,
    ]);
    const events = rows.map(eventFromRow);
    return { epoch: w.epoch, headSeq: w.lastSeq, events: watches(claims.role) ? events.map(redactEvent) : events };
  });

  app.get('/api/sync/snapshot', access({ staff: CASE_ROLES }), async (req, reply) => {
    const claims = await authenticate(req);
    const q = parse(SnapshotQuerySchema, req.query);

    const w = await headOf(claims.tenant);
    const highWater = w.lastSeq;
    // Who downloaded the center's cases, page by page (the first page is the start of an initial sync).
    const params: unknown[] = [claims.tenant, q.limit];
    const after = q.after ? ` AND id > $${params.push(q.after)}` : '';
    const recent =
      q.closedSince !== undefined
        ? ` AND (status <> ALL($${params.push(TERMINAL_STATUSES)}::text[]) OR (data::jsonb ->> 'updatedAt')::bigint >= $${params.push(q.closedSince)})`
        : '';
    const [{ rows }] = await Promise.all([
      db.query<{ id: string; last_seq: number; data: string }>(`SELECT id, last_seq, data FROM cases WHERE tenant = $1${after}${recent} ORDER BY id LIMIT $2`, params),
      audit.access(claims.tenant, [{ ...readerOf(claims), action: 'snapshot', detail: q.after ? `page après ${q.after}` : 'première page' }]),
    ]);
    // Case JSON is stored as the writer serialised it: sent as is to those who treat the patients.
    const next = rows.length === q.limit ? rows[rows.length - 1]!.id : null;
    // A watching role gets each case redacted (parsed and serialised again: a few workstations).
    const watching = watches(claims.role);
    const cases = rows.map((r) => ({ lastSeq: Number(r.last_seq), json: watching ? JSON.stringify(redactCase(JSON.parse(r.data) as RegulationCase)) : r.data }));
    return reply.type(SNAPSHOT_PAGE_CONTENT_TYPE).send(encodeSnapshotPage({ epoch: w.epoch, highWater, next }, cases));
  });

  // The cases a workstation no longer keeps (closed past its retention), found by callback number or
  // by the start of the patient's last name; audited as the search it is.
  app.get('/api/cases/search', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await authenticate(req);
    const q = parse(CaseSearchQuerySchema, req.query);
    // A name is looked up as the workstations do: accents, case and punctuation set aside.
    const nameKey = q.name === undefined ? '' : searchKey(q.name);
    const { rows } = q.phone
      ? await db.query<{ data: string }>(
          `SELECT data FROM cases WHERE tenant = $1 AND search_phone = $2 ORDER BY id DESC LIMIT $3`,
          [claims.tenant, q.phone, q.limit],
          'case-search-phone',
        )
      : nameKey === ''
        ? { rows: [] }
        : await db.query<{ data: string }>(
            // Keys hold only A–Z, 0–9 and spaces: nothing to escape in the pattern.
            `SELECT data FROM cases WHERE tenant = $1 AND search_last_name LIKE $2 ORDER BY id DESC LIMIT $3`,
            [claims.tenant, `${nameKey}%`, q.limit],
            'case-search-name',
          );
    const cases = rows.map((r) => summaryOf(JSON.parse(r.data) as RegulationCase));
    if (cases.length > 0) {
      await audit.access(claims.tenant, [{ ...readerOf(claims), action: 'case.search', detail: `${q.phone ? 'numéro' : 'nom'} sur le serveur : ${cases.length} dossier(s)` }]);
    }
    return { cases };
  });

  app.get<{ Params: { id: string } }>('/api/cases/:id/events', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await authenticate(req);
    const id = parse(IdSchema, req.params.id);
    const w = await headOf(claims.tenant);
    // The read and its audit record go together: no answer without its trace. In parallel, on
    // two connections: one round trip's time (the record in the same statement as the read took
    // 30–40 µs more, its commit then on the read's path).
    const [{ rows }] = await Promise.all([
      db.query<EventRow>('SELECT * FROM events WHERE tenant = $1 AND case_id = $2 ORDER BY seq', [claims.tenant, id], 'case-events'),
      audit.access(claims.tenant, [{ ...readerOf(claims), action: 'case.history', caseId: id }]),
    ]);
    if (rows.length === 0) throw new ApiError(404, 'not_found', 'Dossier introuvable.');
    return { epoch: w.epoch, events: rows.map(eventFromRow) };
  });

  app.post('/api/admin/users', access({ staff: ADMIN }), async (req) => {
    const claims = await authenticate(req);
    const input = parse(CreateUserSchema, req.body);
    const weak = await passwordProblem(input.password, [input.login, input.displayName, claims.tenant]);
    if (weak) throw new ApiError(400, 'invalid_input', weak);
    let id: string;
    try {
      id = await createUser(db, { tenant: claims.tenant, ...input });
    } catch (error) {
      if (error instanceof UserExistsError) throw new ApiError(409, 'conflict', error.message);
      throw error;
    }
    await audit.account(claims.tenant, { actor: claims.userId, action: 'user.create', target: id, address: claims.address, detail: { role: input.role } });
    return { id };
  });

  // An account changed by an admin: a new password, role or deactivation ends its sessions at once.
  app.put<{ Params: { login: string } }>('/api/admin/users/:login', access({ staff: ADMIN }), async (req) => {
    const claims = await authenticate(req);
    const login = parse(z.string().min(1).max(100), req.params.login);
    const input = parse(UpdateUserSchema, req.body);
    const user = await findUser(db, claims.tenant, login);
    if (!user) throw new ApiError(404, 'not_found', 'Utilisateur inconnu.');
    const reasons: SessionEndReason[] = [];
    if (input.password !== undefined) {
      const weak = await passwordProblem(input.password, [login, user.display_name, claims.tenant]);
      if (weak) throw new ApiError(400, 'invalid_input', weak);
      await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, await hashPassword(input.password)]);
      reasons.push('password_changed');
    }
    if (input.role !== undefined && input.role !== user.role) {
      await db.query('UPDATE users SET role = $2 WHERE id = $1', [user.id, input.role]);
      reasons.push('role_changed');
    }
    if (input.active !== undefined && input.active !== user.active) {
      await db.query('UPDATE users SET active = $2 WHERE id = $1', [user.id, input.active]);
      if (!input.active) reasons.push('deactivated');
    }
    if (input.displayName !== undefined) await db.query('UPDATE users SET display_name = $2 WHERE id = $1', [user.id, input.displayName]);
    if (input.resetSecondFactor) {
      await secondFactor.reset(user.id);
      reasons.push('password_changed');
    }
    const ended = reasons.length ? await sessions.endAllOf(claims.tenant, user.id, reasons[0]!) : 0;
    await audit.account(claims.tenant, {
      actor: claims.userId,
      action: 'user.update',
      target: user.id,
      address: claims.address,
      detail: { ...input, password: input.password === undefined ? undefined : '(changé)', sessionsEnded: ended },
    });
    return { login, sessionsEnded: ended };
  });

  app.get('/api/admin/sessions', access({ staff: ADMIN }), async (req) => ({ sessions: await sessions.list((await authenticate(req)).tenant) }));

  app.delete<{ Params: { id: string } }>('/api/admin/sessions/:id', access({ staff: ADMIN }), async (req) => {
    const claims = await authenticate(req);
    const id = parse(IdSchema, req.params.id);
    if (!(await sessions.end(claims.tenant, id, 'ended_by_admin'))) throw new ApiError(404, 'not_found', 'Session inconnue ou déjà terminée.');
    await audit.account(claims.tenant, { actor: claims.userId, action: 'session.end', target: id, address: claims.address });
    return { ok: true };
  });

  // ---- duty directory ----------------------------------------------------------------------

  const readDirectory = async (tenant: string): Promise<Directory> => {
    const { rows } = await db.query<{ kind: DirectoryKind; version: number; data: string }>('SELECT kind, version, data FROM directories WHERE tenant = $1', [tenant]);
    return directoryFromRows(rows);
  };
  const sendFrame = (tenant: string, frame: ServerWsFrame, data: string) => {
    const feeds = FRAME_FEEDS[frame.type];
    let redacted: string | undefined;
    for (const [ws, feed] of sockets.get(tenant) ?? []) {
      if (!feeds.includes(feed) || ws.readyState !== ws.OPEN) continue;
      ws.send(watchingSockets.has(ws) ? (redacted ??= JSON.stringify(redactFrame(frame))) : data);
    }
  };
  /** To this instance's sockets of the center, and through the bus to the other instances' ones. */
  const broadcastFrame = (tenant: string, frame: ServerWsFrame) => {
    const data = JSON.stringify(frame);
    sendFrame(tenant, frame, data);
    bus.publishFrame(tenant, data).catch((error: unknown) => app.log.warn({ error: (error as Error).message, tenant }, 'trame non transmise aux autres instances'));
  };

  app.get('/api/directory', access({ staff: ALL_STAFF, partner: true }), async (req) => {
    const claims = await authenticate(req);
    const directory = await readDirectory(claims.tenant);
    // A partner organisation's agenda needs the sectors and the doctors who take part in the agenda
    // or accept patients beyond it, not the duty rota nor the pharmacies.
    if (claims.kind === 'partner') {
      return { ...directory, onCall: [], pharmacies: [], effectors: directory.effectors.filter((e) => e.participation.agenda || e.participation.surnombre) };
    }
    return directory;
  });

  app.put('/api/directory', { bodyLimit: 16 * 1024 * 1024, ...access({ staff: ADMIN }) }, async (req) => {
    const claims = await authenticate(req);
    const input = parse(DirectoryImportSchema, req.body);
    if (input.kind === 'onCall' || input.kind === 'effectors') {
      const current = await readDirectory(claims.tenant);
      const known = new Set(current.sectors.map((s) => s.code));
      const used = input.kind === 'onCall' ? input.rows.map((r) => r.sectorCode) : input.rows.flatMap((r) => r.sectors);
      const unknown = [...new Set(used.filter((c) => !known.has(c)))];
      if (unknown.length) throw new ApiError(400, 'invalid_input', `Secteurs inconnus : ${unknown.join(', ')} (importez d’abord les secteurs).`);
      if (input.kind === 'effectors') {
        const structures = new Set(current.structures.map((s) => s.id));
        const missing = [...new Set(input.rows.flatMap((r) => r.structures).filter((c) => !structures.has(c)))];
        if (missing.length) throw new ApiError(400, 'invalid_input', `Structures inconnues : ${missing.join(', ')} (importez d’abord les structures).`);
        const ids = input.rows.map((r) => r.id);
        if (new Set(ids).size !== ids.length) throw new ApiError(400, 'invalid_input', 'Un professionnel apparaît deux fois.');
      }
    }
    const version = await db.transaction(async (tx) => {
      // One import at a time per center: the import log's key orders them.
      await tx.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [claims.tenant]);
      const { rows } = await tx.query<{ v: number }>('SELECT coalesce(max(version), 0)::bigint + 1 AS v FROM directory_imports WHERE tenant = $1', [claims.tenant]);
      const v = Number(rows[0]!.v);
      await tx.query(
        `INSERT INTO directories (tenant, kind, version, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, kind) DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data`,
        [claims.tenant, input.kind, v, JSON.stringify(input.rows)],
      );
      await tx.query('INSERT INTO directory_imports (tenant, version, kind, row_count, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6)', [
        claims.tenant,
        v,
        input.kind,
        input.rows.length,
        now(),
        claims.userId,
      ]);
      return v;
    });
    req.log.info({ tenant: claims.tenant, kind: input.kind, rows: input.rows.length, version }, 'directory imported');
    await audit.account(claims.tenant, { actor: claims.userId, action: 'directory.import', address: claims.address, detail: { kind: input.kind, rows: input.rows.length, version } });
    broadcastFrame(claims.tenant, { type: 'directory', version });
    return { version };
  });

  // ---- agent states --------------------------------------------------------------------------

  const readAgents = async (tenant: string): Promise<AgentPresence[]> => {
    const { rows } = await db.query<{ user_id: string; display_name: string; role: AgentPresence['role']; workstation: string; state: AgentPresence['state']; reason: AgentPresence['reason']; since: number }>(
      'SELECT user_id, display_name, role, workstation, state, reason, since FROM agent_states WHERE tenant = $1 ORDER BY display_name',
      [tenant],
    );
    return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, role: r.role, workstation: r.workstation, state: r.state, reason: r.reason, since: Number(r.since) }));
  };

  app.get('/api/agents', access({ staff: ALL_STAFF }), async (req) => {
    const claims = await authenticate(req);
    return { agents: await readAgents(claims.tenant) };
  });

  app.put('/api/agent/state', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await authenticate(req);
    const input = parse(AgentStateRequestSchema, req.body);
    if ((input.state === 'pause') !== (input.reason !== null)) throw new ApiError(400, 'invalid_input', 'Une pause a un motif, et seule une pause en a un.');
    const at = now();
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO agent_states (tenant, user_id, display_name, role, workstation, state, reason, since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant, user_id) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
           workstation = EXCLUDED.workstation, state = EXCLUDED.state, reason = EXCLUDED.reason, since = EXCLUDED.since`,
        [claims.tenant, claims.userId, claims.displayName, claims.role, claims.workstationId, input.state, input.reason, at],
      );
      await tx.query('INSERT INTO agent_state_log (tenant, user_id, workstation, state, reason, at) VALUES ($1, $2, $3, $4, $5, $6)', [
        claims.tenant,
        claims.userId,
        claims.workstationId,
        input.state,
        input.reason,
        at,
      ]);
    });
    broadcastFrame(claims.tenant, { type: 'agents', agents: await readAgents(claims.tenant) });
    distributor?.agentsChanged(claims.tenant);
    return { since: at };
  });

  // ---- the lines' call distributor -----------------------------------------------------------

  /** An agent who let an offered line call ring out: "Absent", with the reason, until they choose again. */
  const markAbsent = async (tenant: string, userId: string) => {
    const at = now();
    const changed = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ workstation: string }>(
        `UPDATE agent_states SET state = 'pause', reason = 'unanswered', since = $3 WHERE tenant = $1 AND user_id = $2 AND state = 'available' RETURNING workstation`,
        [tenant, userId, at],
      );
      if (!rows[0]) return false;
      await tx.query('INSERT INTO agent_state_log (tenant, user_id, workstation, state, reason, at) VALUES ($1, $2, $3, $4, $5, $6)', [tenant, userId, rows[0].workstation, 'pause', 'unanswered', at]);
      return true;
    });
    if (changed) broadcastFrame(tenant, { type: 'agents', agents: await readAgents(tenant) });
  };
  const lineFrameTimers = new Map<string, NodeJS.Timeout>();
  const distributor = options.telephony
    ? new LineDistributor(options.telephony, {
        db,
        now,
        log: (level, message, detail) => app.log[level](detail ?? {}, message),
        markAbsent,
        // Workstations read the queue again at most every 100 ms (a burst of calls is one frame).
        changed: (tenant) => {
          if (lineFrameTimers.has(tenant)) return;
          lineFrameTimers.set(
            tenant,
            setTimeout(() => {
              lineFrameTimers.delete(tenant);
              void linesFrames(distributor!, tenant).then(
                (frames) => frames.forEach((f) => broadcastFrame(tenant, f)),
                (error: unknown) => app.log.warn({ error: (error as Error).message }, 'lines frame'),
              );
            }, 100),
          );
        },
        timeZone: async (tenant) => departmentTimeZone(await department(tenant)),
        inPdsa: async (tenant, at) => pdsaAt(at, await department(tenant), await pdsaRulesOf(db, tenant)).inPdsa,
        purged: (tenant, ids) => audit.account(tenant, { actor: 'system', action: 'recording.purge', detail: { count: ids.length, ids } }),
      })
    : null;
  // Started on the instance that holds the lines' center (see the take-over below): one decides.
  registerLineRoutes(app, { distributor, authenticate, audit, broadcastFrame });
  registerRecordingRoutes(app, { db, recordings: distributor?.recordings ?? null, authenticate, audit });

  // ---- call log, statistics, reports ---------------------------------------------------------

  const callLog = new CallLog(db, now);
  registerActivityRoutes(app, { db, now, callLog, authenticate, broadcastFrame, audit });
  const departments = new Map<string, string>();
  const department = async (tenant: string): Promise<string> => {
    let d = departments.get(tenant);
    if (!d) {
      const { rows } = await db.query<{ department: string }>('SELECT department FROM tenants WHERE id = $1', [tenant]);
      d = rows[0]?.department ?? '21';
      departments.set(tenant, d);
    }
    return d;
  };
  effectors = await registerEffectorRoutes(app, {
    db,
    now,
    tokens,
    sessions,
    audit,
    guard,
    authenticate,
    broadcastFrame,
    department,
    ...(options.effectorSweepMs ? { effectorSweepMs: options.effectorSweepMs } : {}),
    shareChange: (c) =>
      void bus
        .publishEffectorChange(c.tenant, { effectorIds: c.effectorIds, ...(c.requestId ? { requestId: c.requestId } : {}) })
        .catch((error: unknown) => app.log.warn({ error: (error as Error).message }, 'changement des effecteurs non transmis aux autres instances')),
  });
  if (options.psc) {
    registerPscRoutes(app, {
      client: new PscClient(options.psc),
      now,
      log: app.log,
      findByRpps: async (tenant, rpps) => {
        const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE tenant = $1 AND rpps = $2', [tenant, rpps]);
        return rows[0];
      },
      open: async (user, how) => openLogin(user, { ...how, method: 'psc', factor: 'none', security: await securitySettingsOf(db, user.tenant) }),
      refused: (tenant, detail) => audit.account(tenant, { actor: 'psc', action: 'login.refused', address: detail.address, detail }),
      openEffector: (tenant, rpps, address, acr) => effectors!.openEffectorSession(tenant, rpps, address, 'psc', acr),
    });
  }
  registerAgendaRoutes(app, { db, agenda: effectors.agenda, department, authenticate, sessions, audit });

  // ---- Hub Santé ---------------------------------------------------------------------------------

  // The Hub link of a center runs once, on the instance that holds the center (started on take-over).
  const hubSchemas = options.hubsante?.length ? new HubSchemas() : null;
  let hubVersion = 0;
  for (const config of options.hubsante ?? []) {
    const { rows } = await db.query<{ department: string }>('SELECT department FROM tenants WHERE id = $1', [config.tenant]);
    if (!rows[0]) throw new Error(`Hub Santé : centre inconnu ${config.tenant}`);
  }
  const startHub = async (tenant: string): Promise<void> => {
    for (const config of options.hubsante ?? []) {
      if (config.tenant !== tenant) continue;
      const log = app.log.child({ hub: config.clientId });
      let pushTimer: NodeJS.Timeout | null = null;
      const hub = new HubService({
        db,
        config,
        schemas: hubSchemas!,
        department: await department(tenant),
        writer: () => writer(config.tenant),
        now,
        log: (level, message, detail) => log[level](detail ?? {}, message),
        // Workstations read the link's state again, at most every 200 ms.
        onChange: () => {
          pushTimer ??= setTimeout(() => {
            pushTimer = null;
            broadcastFrame(config.tenant, hubChangedFrame(++hubVersion));
          }, 200);
        },
        ...(options.hubTickMs ? { tickMs: options.hubTickMs } : {}),
      });
      hubs.set(config.tenant, hub);
    }
  };
  registerHubRoutes(app, { hub: (tenant) => hubs.get(tenant), authenticate, audit });
  registerAuditRoutes(app, { db, audit, authenticate, department });

  app.get('/api/ws', { websocket: true, ...access({ staff: ALL_STAFF, partner: true }) }, async (socket, req) => {
    const claims = await authenticate(req);
    const feed: Feed = claims.kind === 'partner' ? 'agenda' : CASE_ROLES.includes(claims.role) ? 'cases' : 'center';
    const watching = watches(claims.role);
    const send = (frame: ServerWsFrame) => {
      if (FRAME_FEEDS[frame.type].includes(feed)) socket.send(JSON.stringify(watching ? redactFrame(frame) : frame));
    };
    const w = await headOf(claims.tenant);
    if (!fanned.has(claims.tenant)) fanned.set(claims.tenant, w.lastSeq);
    let set = sockets.get(claims.tenant);
    if (!set) sockets.set(claims.tenant, (set = new Map()));
    set.set(socket, feed);
    if (watching) watchingSockets.add(socket);
    socket.send(JSON.stringify({ type: 'hello', epoch: w.epoch, headSeq: w.lastSeq, cases: feed === 'cases' } satisfies ServerWsFrame));
    const { rows: dv } = await db.query<{ v: number }>('SELECT coalesce(max(version), 0)::bigint AS v FROM directories WHERE tenant = $1', [claims.tenant]);
    send({ type: 'directory', version: Number(dv[0]!.v) });
    if (feed !== 'agenda') send({ type: 'agents', agents: await readAgents(claims.tenant) });
    if (distributor?.tenants().includes(claims.tenant) && feed !== 'agenda') for (const frame of await linesFrames(distributor, claims.tenant)) send(frame);
    if (feed === 'cases') {
      send({ type: 'calls', calls: await callLog.live(claims.tenant) });
      for (const frame of await effectors!.helloFrames(claims.tenant)) send(frame);
    }
    const bye = (reason: string) => {
      socket.send(JSON.stringify({ type: 'bye', reason } satisfies ServerWsFrame));
      socket.close(4401, reason);
    };
    // The socket lives no longer than its token: the client reconnects with a fresh one.
    const expiry = setTimeout(() => bye('token_expired'), Math.max(0, claims.expiresAt - now()));
    const ping = setInterval(() => {
      socket.ping();
      if (feed === 'cases') {
        headOf(claims.tenant).then(
          (h) => socket.readyState === socket.OPEN && socket.send(JSON.stringify({ type: 'poke', epoch: h.epoch, headSeq: h.lastSeq } satisfies ServerWsFrame)),
          () => {},
        );
      }
      // A session ended (logout elsewhere, an admin, a password change) closes its socket too.
      sessions.check(claims.sessionId).then(
        (open) => {
          if (!open && socket.readyState === socket.OPEN) bye('session_ended');
        },
        // The database out of reach (or the server stopping) does not end a session: the next
        // ping checks again, and the socket's token expiry bounds it anyway.
        () => {},
      );
    }, options.heartbeatMs ?? 5_000);
    socket.on('message', () => {
      // Downstream only: workstations push over HTTP. Anything sent here is ignored.
    });
    socket.on('close', () => {
      clearTimeout(expiry);
      clearInterval(ping);
      set.delete(socket);
    });
  });

  options.extraRoutes?.(app);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const publicServer = options.publicListener ? await listenPublic(app, options.publicListener, options.tls) : null;
  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://${options.host ?? '127.0.0.1'}:${port}`;
  selfUrl = options.instance?.advertisedUrl ?? url;

  // ---- the centers this instance holds ----------------------------------------------------------

  leases = new CenterLeases({
    db,
    instance: instanceName,
    url: () => selfUrl!,
    ...(options.instance?.keepAliveMs ? { keepAliveMs: options.instance.keepAliveMs } : {}),
    ...(options.instance?.leaseMs ? { leaseMs: options.instance.leaseMs } : {}),
    ...(options.instance?.retryMs ? { retryMs: options.instance.retryMs } : {}),
    now,
    log: (level, message, detail) => app.log[level](detail ?? {}, message),
    gained: async (t) => {
      const started = Date.now();
      // What the previous holder committed and this instance has not fanned out yet goes first.
      await fanOut(t.tenant, Number.MAX_SAFE_INTEGER, true);
      await startHub(t.tenant);
      const w = openWriter(t.tenant, t.token);
      writers.set(t.tenant, w);
      const wr = await w.catch((error: unknown) => {
        writers.delete(t.tenant);
        throw error;
      });
      fanned.set(t.tenant, wr.lastSeq);
      hubs.get(t.tenant)?.start();
      if (distributor && distributor.tenants()[0] === t.tenant) await distributor.start();
      // The effectors' deadlines armed by the previous holder: armed here too, from the database
      // (each one runs once whoever runs it: the request's row is locked and its state re-read).
      await effectors?.service.resume();
      const startedMs = Date.now() - started;
      takeOvers.push({ ...t, at: now(), startedMs });
      if (takeOvers.length > 50) takeOvers.shift();
      app.log.warn({ tenant: t.tenant, instance: instanceName, cause: t.cause, previous: t.previous, vacantMs: t.vacantMs, startedMs, head: wr.lastSeq }, 'centre pris : cette instance écrit pour lui');
    },
    lost: async (tenant, cause) => {
      const w = writers.get(tenant);
      writers.delete(tenant);
      (await w?.catch(() => null))?.fence();
      const hub = hubs.get(tenant);
      hubs.delete(tenant);
      if (distributor && distributor.tenants()[0] === tenant) await distributor.stop();
      await hub?.stop();
      app.log.warn({ tenant, instance: instanceName, cause }, 'centre perdu');
    },
  });
  leasesReady = leases.start();
  await leasesReady;
  await bus.start();
  return {
    app,
    port,
    url,
    heldCenters: () => leases?.centers() ?? [],
    instance: instanceName,
    ...(publicServer ? { publicUrl: `${scheme}://${options.publicListener!.host}:${(publicServer.address() as { port: number }).port}` } : {}),
    writer,
    connectedSockets: (tenant) => sockets.get(tenant)?.size ?? 0,
    hub: (tenant) => hubs.get(tenant),
    lines: distributor,
    routes: accessControl.routes,
    sessions,
    audit,
    close: async () => {
      await leases?.close();
      await bus.close();
      for (const hub of hubs.values()) await hub.stop();
      await distributor?.stop();
      for (const t of lineFrameTimers.values()) clearTimeout(t);
      for (const set of sockets.values()) for (const ws of set.keys()) ws.terminate();
      effectors?.close();
      if (publicServer) {
        publicServer.closeAllConnections();
        await new Promise<void>((done) => publicServer.close(() => done()));
      }
      await app.close();
    },
  };
}

export { createUser };

/** What the internet-facing listener serves: the effector page, its API, PSC's return, liveness. */
export function isPublicPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0]!;
  return (
    path === '/effecteur' ||
    path.startsWith('/effecteur/') ||
    path.startsWith('/api/effector/') ||
    path.startsWith('/api/psc/') ||
    path === '/api/ws-ticket' ||
    path === '/api/health'
  );
}

async function listenPublic(app: FastifyInstance, at: { host: string; port: number }, tls: ServerOptions['tls']): Promise<HttpServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (isPublicPath(req.url)) return app.routing(req, res);
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'Introuvable.' } }));
  };
  const server: HttpServer = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
  // WebSockets (the effector page's live socket) go to the same application, others are refused.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isPublicPath(req.url)) app.server.emit('upgrade', req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(at.port, at.host, () => ok());
  });
  return server;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`pas de réponse en ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolvePromise(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

type Feed = 'cases' | 'center' | 'agenda';
/** Which sockets get which frame: patient data (events, calls, requests to effectors) only to case roles. */
const FRAME_FEEDS: Record<ServerWsFrame['type'], readonly Feed[]> = {
  hello: ['cases', 'center', 'agenda'],
  events: ['cases'],
  poke: ['cases'],
  bye: ['cases', 'center', 'agenda'],
  calls: ['cases'],
  effectorRequests: ['cases'],
  agents: ['cases', 'center'],
  availability: ['cases', 'center'],
  hub: ['cases', 'center'],
  directory: ['cases', 'center', 'agenda'],
  settings: ['cases', 'center', 'agenda'],
  agenda: ['cases', 'center', 'agenda'],
  lines: ['cases', 'center'],
  callbacks: ['cases'],
};
