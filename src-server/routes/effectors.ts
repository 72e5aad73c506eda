/**
 * Effector doctors over HTTP and WebSocket.
 *   Regulation side (workstation tokens): availability profiles, requests to effectors (send,
 *   cancel), cascade settings, effector accounts.
 *   Effector side (effector tokens, the phone page): login, live state, accept / decline, the
 *   accepted patient's identity, the outcome, the availability profile.
 * Every effector-side response says `Cache-Control: no-store`: no patient data in a phone's cache.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { hashPassword, type TokenService } from '../services/auth.js';
import { needsRehash } from '../../src-node-shared/password-hash.js';
import type { Sessions } from '../services/sessions.js';
import type { Audit } from '../services/audit.js';
import type { LoginGuard } from '../services/login-guard.js';
import { passwordProblem } from '../services/password-policy.js';
import { access, ADMIN, ALL_STAFF, CASE_ROLES, EFFECTOR_PREFIX, principal, readerOf, type Principal } from '../http/access.js';
import { EffectorRequests, type Changes } from '../services/effector-requests.js';
import { Agenda, type AgendaActor } from '../services/agenda.js';
import { BookingOutcomeSchema, PublishSlotsSchema } from '../../src-shared/schemas/slots.js';
import { ApiError, parseInput } from '../http/errors.js';
import type { SqlDatabase } from '../db/sql.js';
import {
  AvailabilityUpdateSchema,
  CascadeSettingsSchema,
  EffectorLoginSchema,
  OutcomeSchema,
  StartRequestSchema,
  UnavailabilityRequestSchema,
  effectorName,
  type EffectorPageState,
  type EffectorWsFrame,
} from '../../src-shared/schemas/effectors.js';
import type { ServerWsFrame } from '../../src-shared/sync-protocol/messages.js';

type Claims = Principal;
const EFFECTOR = access({ effector: true });
const AccountSchema = z.strictObject({
  effectorId: z.string().min(9).max(11),
  password: z.string().min(12, 'mot de passe : 12 caractères au moins').max(200),
});

export interface EffectorRoutes {
  service: EffectorRequests;
  agenda: Agenda;
  /** Frames a workstation gets when its socket opens. */
  helloFrames(tenant: string): Promise<ServerWsFrame[]>;
  /** A session for an effector's page (Pro Santé Connect's login ends here). */
  openEffectorSession(tenant: string, effectorId: string, address: string, method: 'password' | 'psc', acr: string | null): Promise<{ token: string; expiresAt: number; name: string } | null>;
  /** Another server instance changed these doctors' requests: their pages connected here are sent again. */
  changedElsewhere(c: Changes): void;
  close(): void;
}

export async function registerEffectorRoutes(
  app: FastifyInstance,
  deps: {
    db: SqlDatabase;
    now: () => number;
    tokens: TokenService;
    sessions: Sessions;
    audit: Audit;
    guard: LoginGuard;
    authenticate(req: FastifyRequest): Promise<Claims>;
    broadcastFrame(tenant: string, frame: ServerWsFrame): void;
    department(tenant: string): Promise<string>;
    /** Period of the search for overdue requests in the database (default 10 s). */
    effectorSweepMs?: number;
    /** Told every change of doctors' pages, for their pages connected to the other server instances. */
    shareChange?(c: Changes): void;
  },
): Promise<EffectorRoutes> {
  const { db, tokens } = deps;
  const effectorSockets = new Map<string, Set<WebSocket>>();
  const socketKey = (tenant: string, effectorId: string) => `${tenant}/${effectorId}`;

  const pageState = async (tenant: string, effectorId: string): Promise<EffectorPageState> => {
    const dir = await service.directory(tenant);
    const e = dir.effectors.find((x) => x.id === effectorId);
    const since = deps.now() - 12 * 3600_000;
    const me: AgendaActor = { id: `${EFFECTOR_PREFIX}${effectorId}`, name: e ? effectorName(e) : effectorId, organisation: null, effectorId };
    const [offers, notices, reports, profile, slots, bookings] = await Promise.all([
      service.offersFor(tenant, effectorId),
      service.noticesFor(tenant, effectorId),
      service.reportsFor(tenant, effectorId),
      service.profile(tenant, effectorId),
      agenda.effectorSlots(tenant, effectorId, since),
      agenda.bookings(tenant, { effectorId, from: since }, me),
    ]);
    return {
      effector: { id: effectorId, name: e ? effectorName(e) : effectorId, places: (e?.places ?? []).map((p) => ({ id: p.id, name: p.name })) },
      offers,
      notices,
      reports,
      profile,
      slots,
      bookings: bookings.filter((b) => b.state !== 'held'),
    };
  };

  // Pushes are coalesced per tenant: a burst of answers sends each page and the regulators one frame.
  // A request's change goes to the doctors it concerns as that one request's view (one small frame
  // each, from one read): a fan-out to thousands of pages does not rebuild thousands of pages.
  const pending = new Map<string, { effectorIds: Set<string>; regulators: boolean; requests: Map<string, Set<string>> }>();
  const send = (tenant: string, effectorId: string, frame: EffectorWsFrame) => {
    const set = effectorSockets.get(socketKey(tenant, effectorId));
    if (!set || set.size === 0) return;
    const data = JSON.stringify(frame);
    for (const ws of set) if (ws.readyState === ws.OPEN) ws.send(data);
  };
  const connected = (tenant: string, ids: Iterable<string>) => [...ids].filter((id) => (effectorSockets.get(socketKey(tenant, id))?.size ?? 0) > 0);
  const flush = async (tenant: string) => {
    const p = pending.get(tenant);
    pending.delete(tenant);
    if (!p) return;
    for (const [requestId, ids] of p.requests) {
      const views = await service.offerViews(tenant, requestId, connected(tenant, ids));
      for (const [id, offer] of views) send(tenant, id, { type: 'offer', offer });
    }
    await Promise.all(connected(tenant, p.effectorIds).map(async (id) => send(tenant, id, { type: 'state', state: await pageState(tenant, id) })));
    if (p.regulators) {
      deps.broadcastFrame(tenant, { type: 'effectorRequests', requests: await service.regulatorViews(tenant) });
      deps.broadcastFrame(tenant, { type: 'availability', profiles: await service.profiles(tenant) });
    }
  };
  const onChange = (c: Changes) => {
    // The regulators' frames travel on their own (broadcastFrame); the doctors' pages are per instance.
    if (c.effectorIds.length) deps.shareChange?.({ ...c, regulators: false });
    queueChange(c);
  };
  const queueChange = (c: Changes) => {
    let p = pending.get(c.tenant);
    const first = !p;
    if (!p) pending.set(c.tenant, (p = { effectorIds: new Set(), regulators: false, requests: new Map() }));
    if (c.requestId) {
      let ids = p.requests.get(c.requestId);
      if (!ids) p.requests.set(c.requestId, (ids = new Set()));
      for (const id of c.effectorIds) ids.add(id);
    } else for (const id of c.effectorIds) p.effectorIds.add(id);
    p.regulators ||= c.regulators;
    if (first) queueMicrotask(() => flushInTurn(c.tenant));
  };
  // One flush at a time per tenant: two running together read in parallel and could send a page
  // the older of two states last (seen in CI: a published slot missing from its doctor's page).
  const flushing = new Map<string, Promise<void>>();
  const flushInTurn = (tenant: string) => {
    const next = (flushing.get(tenant) ?? Promise.resolve()).then(() => flush(tenant)).catch((error) => app.log.error({ err: error }, 'effector push failed'));
    flushing.set(tenant, next);
    void next.then(() => {
      if (flushing.get(tenant) === next) flushing.delete(tenant);
    });
  };
  const service = new EffectorRequests(db, deps.now, onChange, (level, message, data) => app.log[level](data, message));
  await service.resume();
  service.startSweeping(deps.effectorSweepMs ?? 10_000);
  let agendaVersion = 0;
  const agenda = new Agenda(
    db,
    deps.now,
    (t) => service.directory(t),
    (t) => service.profiles(t),
    deps.department,
    (tenant, effectorIds) => {
      onChange({ tenant, effectorIds, regulators: false });
      // Workstations showing the agenda search again (a slot was published, held, booked...).
      deps.broadcastFrame(tenant, { type: 'agenda', version: ++agendaVersion });
    },
  );

  /** The effector the access hook let in (routes declared `effector: true`). */
  const authenticateEffector = async (req: FastifyRequest): Promise<Claims & { effectorId: string }> => {
    const p = principal(req);
    return { ...p, effectorId: p.effectorId! };
  };
  const params = (req: FastifyRequest) => parseInput(z.uuid(), (req.params as { id: string }).id);

  // ---- regulation side ------------------------------------------------------------------------

  app.get('/api/effectors/availability', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await deps.authenticate(req);
    return { profiles: await service.profiles(claims.tenant) };
  });

  app.get('/api/effector-requests', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await deps.authenticate(req);
    return { requests: await service.regulatorViews(claims.tenant) };
  });

  app.post('/api/effector-requests', access({ staff: ['physician'], refusal: 'Seul un médecin régulateur sollicite les effecteurs.' }), async (req) => {
    const claims = await deps.authenticate(req);
    const input = parseInput(StartRequestSchema, req.body);
    return service.start(claims.tenant, claims, input);
  });

  app.post('/api/effector-requests/:id/cancel', access({ staff: ['physician'], refusal: 'Seul un médecin régulateur annule une sollicitation.' }), async (req) => {
    const claims = await deps.authenticate(req);
    await service.cancel(claims.tenant, claims.userId, params(req));
    return { ok: true };
  });

  app.get('/api/settings/cascade', access({ staff: ALL_STAFF }), async (req) => {
    const claims = await deps.authenticate(req);
    return service.settings(claims.tenant);
  });

  app.put('/api/settings/cascade', access({ staff: ADMIN }), async (req) => {
    const claims = await deps.authenticate(req);
    const input = parseInput(CascadeSettingsSchema, req.body);
    await service.setSettings(claims.tenant, input, claims.userId);
    await deps.audit.account(claims.tenant, { actor: claims.userId, action: 'settings.cascade', address: claims.address, detail: input });
    return input;
  });

  app.post('/api/admin/effector-accounts', access({ staff: ADMIN }), async (req) => {
    const claims = await deps.authenticate(req);
    const input = parseInput(AccountSchema, req.body);
    const dir = await service.directory(claims.tenant);
    const e = dir.effectors.find((x) => x.id === input.effectorId);
    if (!e) throw new ApiError(404, 'not_found', 'Professionnel absent de l’annuaire : importez-le d’abord.');
    const weak = await passwordProblem(input.password, [input.effectorId, e.lastName, e.firstName]);
    if (weak) throw new ApiError(400, 'invalid_input', weak);
    await db.query(
      `INSERT INTO effector_accounts (tenant, effector_id, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, effector_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, active = TRUE`,
      [claims.tenant, input.effectorId, await hashPassword(input.password)],
    );
    // A new password ends the doctor's open sessions (a lost phone, a shared password).
    const ended = await deps.sessions.endAllOf(claims.tenant, `${EFFECTOR_PREFIX}${input.effectorId}`, 'password_changed');
    await deps.audit.account(claims.tenant, { actor: claims.userId, action: 'effector.password', target: input.effectorId, address: claims.address, detail: { sessionsEnded: ended } });
    return { effectorId: input.effectorId };
  });

  // ---- effector side --------------------------------------------------------------------------

  app.post('/api/effector/login', access({ public: 'ouverture de session d’un médecin effecteur' }), async (req) => {
    const input = parseInput(EffectorLoginSchema, req.body);
    const key = `effector:${input.tenant}:${input.login}`;
    // The same work for an unknown login as for a wrong password.
    const { found: account, good } = await deps.guard.checkPassword(key, req.ip, input.password, async () => {
      const { rows } = await db.query<{ password_hash: string; active: boolean }>('SELECT password_hash, active FROM effector_accounts WHERE tenant = $1 AND effector_id = $2', [
        input.tenant,
        input.login,
      ]);
      return rows[0];
    });
    if (!account || !account.active || !good) {
      req.log.warn({ tenant: input.tenant, address: req.ip }, 'effector login refused');
      throw new ApiError(401, 'unauthenticated', 'Identifiant ou mot de passe incorrect.');
    }
    await deps.guard.succeeded(key, req.ip);
    if (needsRehash(account.password_hash)) {
      await db.query('UPDATE effector_accounts SET password_hash = $3 WHERE tenant = $1 AND effector_id = $2', [input.tenant, input.login, await hashPassword(input.password)]);
    }
    const answer = await openEffectorSession(input.tenant, input.login, req.ip, 'password', null);
    if (!answer) throw new ApiError(401, 'unauthenticated', 'Vous n’êtes plus dans l’annuaire du centre.');
    req.log.info({ tenant: input.tenant, effector: input.login, address: req.ip }, 'effector login');
    return answer;
  });

  /** A session for this effector's page (password or Pro Santé Connect); none if he left the directory or his account is off. */
  async function openEffectorSession(tenant: string, effectorId: string, address: string, method: 'password' | 'psc', acr: string | null) {
    const [dir, { rows }] = await Promise.all([
      service.directory(tenant),
      db.query<{ active: boolean }>('SELECT active FROM effector_accounts WHERE tenant = $1 AND effector_id = $2', [tenant, effectorId]),
    ]);
    const e = dir.effectors.find((x) => x.id === effectorId);
    if (!e || !rows[0]?.active) return null;
    const userId = `${EFFECTOR_PREFIX}${e.id}`;
    const session = await deps.sessions.open({ tenant, principal: userId, kind: 'effector', workstation: 'effector-page', address, method, acr });
    const { token, expiresAt } = await tokens.issue('effector', { userId, tenant, role: 'effector', displayName: effectorName(e), workstationId: 'effector-page', sessionId: session.id });
    await deps.audit.account(tenant, { actor: userId, action: 'login', address, detail: { workstation: 'effector-page', session: session.id, method, acr: acr ?? undefined } });
    return { token, expiresAt, name: effectorName(e) };
  }

  app.post('/api/effector/token/refresh', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    await deps.sessions.touch(c.sessionId);
    return tokens.issue('effector', { userId: c.userId, tenant: c.tenant, role: 'effector', displayName: c.displayName, workstationId: c.workstationId, sessionId: c.sessionId });
  });

  app.get('/api/effector/state', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return pageState(c.tenant, c.effectorId);
  });

  app.post('/api/effector/requests/:id/accept', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return service.answer(c.tenant, c.effectorId, params(req), 'accept');
  });

  app.post('/api/effector/requests/:id/decline', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return service.answer(c.tenant, c.effectorId, params(req), 'decline');
  });

  app.get('/api/effector/requests/:id/patient', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    const patient = await service.patientFor(c.tenant, c.effectorId, params(req));
    const { rows } = await db.query<{ case_id: string }>('SELECT case_id FROM effector_requests WHERE tenant = $1 AND id = $2', [c.tenant, patient.requestId]);
    await deps.audit.access(c.tenant, [
      { ...readerOf(c), action: 'effector.reveal', caseId: rows[0]?.case_id ?? null, detail: `demande ${patient.requestId}` },
    ]);
    return patient;
  });

  app.post('/api/effector/requests/:id/outcome', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    await service.recordOutcome(c.tenant, c.effectorId, params(req), parseInput(OutcomeSchema, req.body));
    return { ok: true };
  });

  app.put('/api/effector/availability', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return service.setModes(c.tenant, c.effectorId, parseInput(AvailabilityUpdateSchema, req.body), c.userId);
  });

  app.post('/api/effector/unavailability', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return service.addUnavailability(c.tenant, c.effectorId, parseInput(UnavailabilityRequestSchema, req.body), c.userId);
  });

  app.delete('/api/effector/unavailability/:id', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return service.removeUnavailability(c.tenant, c.effectorId, params(req), c.userId);
  });

  // ---- the effector's own slots ------------------------------------------------------------------

  const effectorActor = (c: Claims & { effectorId: string }): AgendaActor => ({ id: c.userId, name: c.displayName, organisation: null, effectorId: c.effectorId });

  app.post('/api/effector/slots', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return { slots: await agenda.publish(c.tenant, effectorActor(c), c.effectorId, parseInput(PublishSlotsSchema, req.body)) };
  });

  app.delete('/api/effector/slots/:id', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    await agenda.cancelSlot(c.tenant, effectorActor(c), params(req));
    return { ok: true };
  });

  app.post('/api/effector/bookings/:id/state', EFFECTOR, async (req) => {
    const c = await authenticateEffector(req);
    return agenda.setBookingState(c.tenant, effectorActor(c), params(req), parseInput(BookingOutcomeSchema, req.body).state);
  });

  app.get('/api/effector/ws', { websocket: true, ...EFFECTOR }, async (socket, req) => {
    const c = await authenticateEffector(req);
    const key = socketKey(c.tenant, c.effectorId);
    let set = effectorSockets.get(key);
    if (!set) effectorSockets.set(key, (set = new Set()));
    set.add(socket);
    socket.send(JSON.stringify({ type: 'state', state: await pageState(c.tenant, c.effectorId) } satisfies EffectorWsFrame));
    const expiry = setTimeout(() => {
      socket.send(JSON.stringify({ type: 'bye', reason: 'token_expired' } satisfies EffectorWsFrame));
      socket.close(4401, 'token_expired');
    }, Math.max(0, c.expiresAt - deps.now()));
    const ping = setInterval(() => {
      socket.ping();
      // A session ended (logout, a new password set by the center) closes the page's socket.
      deps.sessions.check(c.sessionId).then(
        (open) => {
          if (open || socket.readyState !== socket.OPEN) return;
          socket.send(JSON.stringify({ type: 'bye', reason: 'session_ended' } satisfies EffectorWsFrame));
          socket.close(4401, 'session_ended');
        },
        // Database out of reach: checked again at the next ping (the token's expiry bounds it).
        () => {},
      );
    }, 15_000);
    socket.on('close', () => {
      clearTimeout(expiry);
      clearInterval(ping);
      set.delete(socket);
    });
  });

  return {
    service,
    agenda,
    openEffectorSession,
    changedElsewhere: (c) => queueChange({ ...c, regulators: false }),
    helloFrames: async (tenant) => [
      { type: 'availability', profiles: await service.profiles(tenant) },
      { type: 'effectorRequests', requests: await service.regulatorViews(tenant) },
    ],
    close: () => {
      service.close();
      for (const set of effectorSockets.values()) for (const ws of set) ws.terminate();
    },
  };
}

/**
 * The effector's phone page, built by `npm run build`. Nothing of it is cached (no-store) and its
 * content security policy allows this origin only.
 */
export async function serveEffectorPage(app: FastifyInstance, dir: string): Promise<void> {
  const headers = (res: { setHeader(k: string, v: string): void }) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-security-policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
  };
  // Declared here with their rule, like every route: the plugin only sends the files (serve: false).
  const page = access({ public: 'page de l’effecteur (fichiers statiques : code et styles, aucune donnée)' });
  if (!existsSync(dir)) {
    app.get('/effecteur/*', page, async (_req, reply) => reply.status(503).type('text/plain; charset=utf-8').send('Page effecteur non construite : lancez « npm run build ».'));
  } else {
    await app.register(fastifyStatic, { root: dir, serve: false, setHeaders: headers, cacheControl: false, etag: false, lastModified: false });
    app.route({ method: ['GET', 'HEAD'], url: '/effecteur/*', ...page, handler: (req, reply) => reply.sendFile(`/${(req.params as { '*': string })['*']}`) });
  }
  app.get('/effecteur', page, async (_req, reply) => reply.redirect('/effecteur/'));
}
