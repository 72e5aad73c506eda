/**
 * Deny by default: every route declares who may call it, in its options (`access(...)`), and one
 * hook checks it before the handler runs. A route that declares nothing refuses everyone.
 *
 * Principals:
 *   - staff: a user of the regulation center (arm, physician, supervisor, admin);
 *   - partner: a user attached to a partner organisation (SAS, CPTS, tele-secretariat), whatever
 *     his role: only the agenda routes its organisation's rights open;
 *   - effector: a doctor on his phone page.
 * The token goes in the Authorization header only; a WebSocket, which a browser cannot give a
 * header, presents a one-time ticket (`POST /api/ws-ticket`, 30 s). The token names its session,
 * which is checked at every request (services/sessions.ts): the role and organisation come from the
 * account as it is now, not from what the token said when it was signed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/sql.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../../src-shared/domain/codes.js';
import { AuthError, type TokenClaims, type TokenService } from '../services/auth.js';
import type { Sessions } from '../services/sessions.js';
import { ApiError } from './errors.js';

export type PrincipalKind = 'staff' | 'partner' | 'effector';

export interface Principal extends TokenClaims {
  kind: PrincipalKind;
  /** The partner organisation's id (kind 'partner'). */
  organisation: string | null;
  /** The effector's RPPS (kind 'effector'). */
  effectorId: string | null;
  expiresAt: number;
  /** The client's address (behind a trusted proxy, the one it forwarded). */
  address: string;
  /** The session may only enrol a second factor. */
  enrolmentPending: boolean;
}

export type Access =
  | { public: string }
  | {
      staff?: readonly Role[];
      partner?: boolean;
      effector?: boolean;
      refusal?: string;
      /** Open to a session that must first enrol its second factor (the enrolment itself, logout). */
      duringEnrolment?: boolean;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const ALL_STAFF: readonly Role[] = ['arm', 'physician', 'supervisor', 'admin'];
/** Who works on cases: the patient's data is theirs to see. An admin is not among them. */
export const CASE_ROLES: readonly Role[] = ['arm', 'physician', 'supervisor'];
export const SUPERVISION: readonly Role[] = ['supervisor', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];

/** Route options that declare who may call it. */
export const access = (rule: Access) => ({ config: { access: rule } });

export interface RouteAccess {
  method: string;
  url: string;
  access: Access | null;
}

const EFFECTOR_PREFIX = 'effector:';
const TICKET_MS = 30_000;

export interface AccessControl {
  /** Every route registered, with its rule (the matrix test reads it). */
  routes(): RouteAccess[];
  /** A one-time ticket for a WebSocket of this principal (redeemable on any instance, once). */
  ticket(p: Principal): Promise<string>;
}

export function installAccessControl(app: FastifyInstance, deps: { tokens: TokenService; sessions: Sessions; now: () => number; db: Queryable }): AccessControl {
  const routes: RouteAccess[] = [];
  const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url, access: route.config?.access ?? null });
  });

  const principalOf = async (req: FastifyRequest, token: string): Promise<Principal> => {
    let claims: TokenClaims & { expiresAt: number };
    try {
      claims = await deps.tokens.verify(token);
    } catch (error) {
      if (error instanceof AuthError) throw new ApiError(401, error.code, error.message);
      throw error;
    }
    const session = await deps.sessions.check(claims.sessionId);
    if (!session || session.tenant !== claims.tenant || session.principal !== claims.userId) {
      throw new ApiError(401, 'session_ended', 'Session terminée : reconnectez-vous.');
    }
    const effector = session.kind === 'effector';
    return {
      ...claims,
      role: session.role,
      displayName: effector ? claims.displayName : session.displayName,
      kind: effector ? 'effector' : session.organisation ? 'partner' : 'staff',
      organisation: session.organisation,
      effectorId: effector ? claims.userId.slice(EFFECTOR_PREFIX.length) : null,
      address: req.ip,
      enrolmentPending: session.enrolmentPending,
    };
  };

  app.addHook('onRequest', async (req) => {
    if (!req.routeOptions.url) return; // no such route: the 404 answers
    const rule = req.routeOptions.config.access;
    if (!rule) throw new ApiError(403, 'forbidden', 'Accès refusé : cette adresse n’a pas de règle d’accès.', { refusedBy: 'access-rule' });
    if ('public' in rule) return;
    const query = req.query as Record<string, unknown> | undefined;
    if (query && 'token' in query) throw new ApiError(401, 'unauthenticated', 'Le jeton se présente dans l’en-tête Authorization, jamais dans l’adresse.');
    const header = req.headers.authorization;
    let caller: Principal;
    if (header?.startsWith('Bearer ')) {
      caller = await principalOf(req, header.slice(7));
    } else if (req.ws && typeof query?.ticket === 'string') {
      // Deleted as it is read: used once, whichever instance gave it.
      const { rows } = await deps.db.query<{ principal: string; expires_at: number }>('DELETE FROM ws_tickets WHERE ticket_hash = $1 RETURNING principal, expires_at', [hashOf(query.ticket)]);
      const t = rows[0] ? { principal: JSON.parse(rows[0].principal) as Principal, until: Number(rows[0].expires_at) } : null;
      if (!t || t.until < deps.now()) throw new ApiError(401, 'unauthenticated', 'Ticket de connexion invalide ou expiré.');
      // The session may have ended since the ticket was given.
      const session = await deps.sessions.check(t.principal.sessionId);
      if (!session) throw new ApiError(401, 'session_ended', 'Session terminée : reconnectez-vous.');
      caller = { ...t.principal, address: req.ip };
    } else {
      throw new ApiError(401, 'unauthenticated', 'Authentification requise.');
    }
    const allowed = caller.kind === 'effector' ? rule.effector === true : caller.kind === 'partner' ? rule.partner === true : (rule.staff ?? []).includes(caller.role as Role);
    if (!allowed) {
      throw new ApiError(
        403,
        'forbidden',
        rule.refusal ??
          (caller.kind === 'effector'
            ? 'Réservé aux postes de régulation.'
            : caller.kind === 'partner'
              ? 'Votre organisation n’a pas accès à cette fonction.'
              : 'Action non autorisée pour votre rôle.'),
        // Refused by the route's rule (not by the case or the request): says so to whoever checks.
        { refusedBy: 'access-rule' },
      );
    }
    if (caller.enrolmentPending && !rule.duringEnrolment) {
      throw new ApiError(403, 'second_factor_enrolment', 'Enrôlez d’abord votre second facteur (application d’authentification) : le centre l’exige.', { refusedBy: 'access-rule' });
    }
    req.principal = caller;
  });

  return {
    routes: () => routes.slice(),
    ticket: async (who) => {
      const at = deps.now();
      const id = randomBytes(24).toString('base64url');
      await deps.db.query('DELETE FROM ws_tickets WHERE expires_at < $1', [at]);
      await deps.db.query('INSERT INTO ws_tickets (ticket_hash, principal, expires_at) VALUES ($1, $2, $3)', [hashOf(id), JSON.stringify(who), at + TICKET_MS]);
      return id;
    },
  };
}

/** Who reads, as the access audit records it. */
export const readerOf = (p: Principal) => ({
  userId: p.userId,
  displayName: p.displayName,
  role: p.role,
  organisation: p.organisation,
  workstation: p.workstationId,
  address: p.address,
});

/** The principal the access hook found; a route with a rule always has one. */
export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'unauthenticated', 'Authentification requise.');
  return req.principal;
}

export { EFFECTOR_PREFIX };
