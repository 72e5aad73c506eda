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
import { hashPassword, verifyPassword, type TokenClaims, type TokenService } from '../services/auth.js';
import { EffectorRequests, type Changes } from '../services/effector-requests.js';
import { Agenda, type AgendaActor } from '../services/agenda.js';
import { BookingOutcomeSchema, PublishSlotsSchema } from '../../src-shared/schemas/slots.js';
import { ApiError, parseInput } from '../http/errors.js';
import { verifyRequestToken } from '../http/request-token.js';
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

type Claims = TokenClaims & { expiresAt: number };

const EFFECTOR_PREFIX = 'effector:';
const AccountSchema = z.strictObject({
  effectorId: z.string().min(9).max(11),
  password: z.string().min(8, 'mot de passe : 8 caractères au moins').max(200),
});

export interface EffectorRoutes {
  service: EffectorRequests;
  agenda: Agenda;
  /** Frames a workstation gets when its socket opens. */
  helloFrames(tenant: string): Promise<ServerWsFrame[]>;
  close(): void;
}

export async function registerEffectorRoutes(
  app: FastifyInstance,
  deps: {
    db: SqlDatabase;
    now: () => number;
    tokens: TokenService;
    authenticate(req: FastifyRequest): Promise<Claims>;
    broadcastFrame(tenant: string, frame: ServerWsFrame): void;
    department(tenant: string): Promise<string>;
    /** Period of the search for overdue requests in the database (default 10 s). */
    effectorSweepMs?: number;
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

  const authenticateEffector = async (req: FastifyRequest): Promise<Claims & { effectorId: string }> => {
    const claims = await verifyRequestToken(tokens, req);
    if (claims.role !== 'effector') throw new ApiError(403, 'forbidden', 'Page réservée aux médecins effecteurs.');
    return { ...claims, effectorId: claims.userId.slice(EFFECTOR_PREFIX.length) };
  };
  const regulator = async (req: FastifyRequest, roles: readonly string[], what: string) => {
    const claims = await deps.authenticate(req);
    if (!roles.includes(claims.role)) throw new ApiError(403, 'forbidden', what);
    return claims;
  };
  const params = (req: FastifyRequest) => parseInput(z.uuid(), (req.params as { id: string }).id);

  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/effector/')) reply.header('cache-control', 'no-store');
  });

  // ---- regulation side ------------------------------------------------------------------------

  app.get('/api/effectors/availability', async (req) => {
    const claims = await deps.authenticate(req);
    return { profiles: await service.profiles(claims.tenant) };
  });

  app.get('/api/effector-requests', async (req) => {
    const claims = await deps.authenticate(req);
    return { requests: await service.regulatorViews(claims.tenant) };
  });

  app.post('/api/effector-requests', async (req) => {
    const claims = await regulator(req, ['physician'], 'Seul un médecin régulateur sollicite les effecteurs.');
    const input = parseInput(StartRequestSchema, req.body);
    return service.start(claims.tenant, claims, input);
  });

  app.post('/api/effector-requests/:id/cancel', async (req) => {
    const claims = await regulator(req, ['physician'], 'Seul un médecin régulateur annule une sollicitation.');
    await service.cancel(claims.tenant, claims.userId, params(req));
    return { ok: true };
  });

  app.get('/api/settings/cascade', async (req) => {
    const claims = await deps.authenticate(req);
    return service.settings(claims.tenant);
  });

  app.put('/api/settings/cascade', async (req) => {
    const claims = await regulator(req, ['admin'], 'Réservé aux administrateurs.');
    const input = parseInput(CascadeSettingsSchema, req.body);
    await service.setSettings(claims.tenant, input, claims.userId);
    return input;
  });

  app.post('/api/admin/effector-accounts', async (req) => {
    const claims = await regulator(req, ['admin'], 'Réservé aux administrateurs.');
    const input = parseInput(AccountSchema, req.body);
    const dir = await service.directory(claims.tenant);
    if (!dir.effectors.some((e) => e.id === input.effectorId)) throw new ApiError(404, 'not_found', 'Professionnel absent de l’annuaire : importez-le d’abord.');
    await db.query(
      `INSERT INTO effector_accounts (tenant, effector_id, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, effector_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, active = TRUE`,
      [claims.tenant, input.effectorId, await hashPassword(input.password)],
    );
    return { effectorId: input.effectorId };
  });

  // ---- effector side --------------------------------------------------------------------------

  app.post('/api/effector/login', async (req) => {
    const input = parseInput(EffectorLoginSchema, req.body);
    const { rows } = await db.query<{ password_hash: string; active: boolean }>('SELECT password_hash, active FROM effector_accounts WHERE tenant = $1 AND effector_id = $2', [
      input.tenant,
      input.login,
    ]);
    const account = rows[0];
    if (!account || !account.active || !(await verifyPassword(input.password, account.password_hash))) {
      req.log.warn({ tenant: input.tenant }, 'effector login refused');
      throw new ApiError(401, 'unauthenticated', 'Identifiant ou mot de passe incorrect.');
    }
    const dir = await service.directory(input.tenant);
    const e = dir.effectors.find((x) => x.id === input.login);
    if (!e) throw new ApiError(401, 'unauthenticated', 'Vous n’êtes plus dans l’annuaire du centre.');
    const { token, expiresAt } = await tokens.issue({
      userId: `${EFFECTOR_PREFIX}${e.id}`,
      tenant: input.tenant,
      role: 'effector',
      displayName: effectorName(e),
      workstationId: 'effector-page',
    });
    req.log.info({ tenant: input.tenant, effector: e.id }, 'effector login');
    return { token, expiresAt, name: effectorName(e) };
  });

  app.post('/api/effector/token/refresh', async (req) => {
    const claims = await authenticateEffector(req);
    return tokens.issue(claims);
  });

  app.get('/api/effector/state', async (req) => {
    const c = await authenticateEffector(req);
    return pageState(c.tenant, c.effectorId);
  });

  app.post('/api/effector/requests/:id/accept', async (req) => {
    const c = await authenticateEffector(req);
    return service.answer(c.tenant, c.effectorId, params(req), 'accept');
  });

  app.post('/api/effector/requests/:id/decline', async (req) => {
    const c = await authenticateEffector(req);
    return service.answer(c.tenant, c.effectorId, params(req), 'decline');
  });

  app.get('/api/effector/requests/:id/patient', async (req) => {
    const c = await authenticateEffector(req);
    return service.patientFor(c.tenant, c.effectorId, params(req));
  });

  app.post('/api/effector/requests/:id/outcome', async (req) => {
    const c = await authenticateEffector(req);
    await service.recordOutcome(c.tenant, c.effectorId, params(req), parseInput(OutcomeSchema, req.body));
    return { ok: true };
  });

  app.put('/api/effector/availability', async (req) => {
    const c = await authenticateEffector(req);
    return service.setModes(c.tenant, c.effectorId, parseInput(AvailabilityUpdateSchema, req.body), c.userId);
  });

  app.post('/api/effector/unavailability', async (req) => {
    const c = await authenticateEffector(req);
    return service.addUnavailability(c.tenant, c.effectorId, parseInput(UnavailabilityRequestSchema, req.body), c.userId);
  });

  app.delete('/api/effector/unavailability/:id', async (req) => {
    const c = await authenticateEffector(req);
    return service.removeUnavailability(c.tenant, c.effectorId, params(req), c.userId);
  });

  // ---- the effector's own slots ------------------------------------------------------------------

  const effectorActor = (c: Claims & { effectorId: string }): AgendaActor => ({ id: c.userId, name: c.displayName, organisation: null, effectorId: c.effectorId });

  app.post('/api/effector/slots', async (req) => {
    const c = await authenticateEffector(req);
    return { slots: await agenda.publish(c.tenant, effectorActor(c), c.effectorId, parseInput(PublishSlotsSchema, req.body)) };
  });

  app.delete('/api/effector/slots/:id', async (req) => {
    const c = await authenticateEffector(req);
    await agenda.cancelSlot(c.tenant, effectorActor(c), params(req));
    return { ok: true };
  });

  app.post('/api/effector/bookings/:id/state', async (req) => {
    const c = await authenticateEffector(req);
    return agenda.setBookingState(c.tenant, effectorActor(c), params(req), parseInput(BookingOutcomeSchema, req.body).state);
  });

  app.get('/api/effector/ws', { websocket: true }, async (socket, req) => {
    let c: Claims & { effectorId: string };
    try {
      c = await authenticateEffector(req);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(401, 'unauthenticated', 'Authentification requise.');
      socket.send(JSON.stringify({ type: 'bye', reason: e.code } satisfies EffectorWsFrame));
      socket.close(4401, e.code);
      return;
    }
    const key = socketKey(c.tenant, c.effectorId);
    let set = effectorSockets.get(key);
    if (!set) effectorSockets.set(key, (set = new Set()));
    set.add(socket);
    socket.send(JSON.stringify({ type: 'state', state: await pageState(c.tenant, c.effectorId) } satisfies EffectorWsFrame));
    const expiry = setTimeout(() => {
      socket.send(JSON.stringify({ type: 'bye', reason: 'token_expired' } satisfies EffectorWsFrame));
      socket.close(4401, 'token_expired');
    }, Math.max(0, c.expiresAt - deps.now()));
    const ping = setInterval(() => socket.ping(), 15_000);
    socket.on('close', () => {
      clearTimeout(expiry);
      clearInterval(ping);
      set.delete(socket);
    });
  });

  return {
    service,
    agenda,
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
  if (!existsSync(dir)) {
    app.get('/effecteur/*', async (_req, reply) => reply.status(503).type('text/plain; charset=utf-8').send('Page effecteur non construite : lancez « npm run build ».'));
  } else {
    await app.register(fastifyStatic, { root: dir, prefix: '/effecteur/', setHeaders: headers, cacheControl: false, etag: false, lastModified: false });
  }
  app.get('/effecteur', async (_req, reply) => reply.redirect('/effecteur/'));
}
