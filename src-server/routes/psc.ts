/**
 * Logging in with Pro Santé Connect. The workstation asks for a login flow (`POST /api/psc/start`),
 * opens PSC's page in the browser; PSC sends the browser back to this server
 * (`GET /api/psc/callback`), which checks the state (once), the code (PKCE, nonce), finds the
 * account by RPPS and, when the doctor has several practices, waits for his choice; the workstation
 * collects the outcome with the flow's secret (`POST /api/psc/flows/:id`). The token never passes
 * through the browser's address bar.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TenantIdSchema, WorkstationIdSchema } from '../../src-shared/sync-protocol/messages.js';
import { access } from '../http/access.js';
import { ApiError, parseInput } from '../http/errors.js';
import type { UserRow } from '../services/auth.js';
import { PscUnavailableError, type PscClient, type PscIdentity } from '../services/psc-client.js';

const FLOW_MS = 10 * 60_000;

interface Flow {
  id: string;
  secret: string;
  tenant: string;
  workstationId: string;
  /** A workstation's login, or an effector's phone page. */
  kind: 'workstation' | 'effector';
  address: string;
  state: string;
  nonce: string;
  verifier: string;
  createdAt: number;
  status: 'pending' | 'choose' | 'done' | 'failed';
  message?: string;
  identity?: PscIdentity;
  user?: UserRow;
  answer?: unknown;
}

const StartSchema = z.strictObject({
  tenant: TenantIdSchema,
  workstationId: WorkstationIdSchema.default('effector-page'),
  kind: z.enum(['workstation', 'effector']).default('workstation'),
});
const ClaimSchema = z.strictObject({ secret: z.string().min(16).max(100), practice: z.number().int().min(0).max(50).optional() });

export function registerPscRoutes(
  app: FastifyInstance,
  deps: {
    client: PscClient;
    now: () => number;
    log: FastifyBaseLogger;
    findByRpps(tenant: string, rpps: string): Promise<UserRow | undefined>;
    open(user: UserRow, how: { workstationId: string; address: string; acr: string | null }): Promise<unknown>;
    refused(tenant: string, detail: { address: string; reason: string; subject?: string }): Promise<void>;
    /** An effector's page session for this RPPS, or null (no account, not in the directory). */
    openEffector(tenant: string, rpps: string, address: string, acr: string | null): Promise<unknown>;
  },
): void {
  const flows = new Map<string, Flow>();
  const byState = new Map<string, string>();
  const sweep = () => {
    const at = deps.now();
    for (const [id, f] of flows) {
      if (at - f.createdAt > FLOW_MS) {
        flows.delete(id);
        byState.delete(f.state);
      }
    }
  };

  const fail = async (flow: Flow, message: string, reason: string) => {
    flow.status = 'failed';
    flow.message = message;
    await deps.refused(flow.tenant, { address: flow.address, reason, ...(flow.identity ? { subject: flow.identity.subjectNameId } : {}) }).catch(() => {});
  };

  const complete = async (flow: Flow) => {
    flow.answer = await deps.open(flow.user!, { workstationId: flow.workstationId, address: flow.address, acr: flow.identity?.acr ?? null });
    flow.status = 'done';
  };

  app.post('/api/psc/start', access({ public: 'ouverture de session par Pro Santé Connect' }), async (req) => {
    const input = parseInput(StartSchema, req.body);
    sweep();
    let start;
    try {
      start = await deps.client.start();
    } catch (error) {
      if (error instanceof PscUnavailableError) throw new ApiError(503, 'psc_unavailable', `${error.message} Connectez-vous par mot de passe si le centre le permet.`);
      throw error;
    }
    const flow: Flow = {
      id: randomUUID(),
      secret: randomBytes(24).toString('base64url'),
      tenant: input.tenant,
      workstationId: input.workstationId,
      kind: input.kind,
      address: req.ip,
      ...start,
      createdAt: deps.now(),
      status: 'pending',
    };
    flows.set(flow.id, flow);
    byState.set(flow.state, flow.id);
    return { flowId: flow.id, secret: flow.secret, authorizationUrl: start.url };
  });

  app.get('/api/psc/callback', access({ public: 'retour de Pro Santé Connect' }), async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = (status: number, title: string, text: string) =>
      reply
        .status(status)
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;margin:3rem"><h1>${title}</h1><p>${text}</p></body></html>`);
    // The state is good once: a replayed or forged callback finds nothing.
    const id = typeof query.state === 'string' ? byState.get(query.state) : undefined;
    if (query.state) byState.delete(query.state);
    const flow = id ? flows.get(id) : undefined;
    if (!flow || flow.status !== 'pending' || deps.now() - flow.createdAt > FLOW_MS) {
      return page(400, 'Lien de connexion expiré', 'Ce retour de Pro Santé Connect est expiré ou a déjà servi : recommencez la connexion depuis le poste.');
    }
    if (query.error) {
      await fail(flow, `Pro Santé Connect a refusé la connexion (${query.error_description ?? query.error}).`, `psc error ${query.error}`);
      return page(401, 'Connexion refusée', flow.message!);
    }
    try {
      const callback = new URL(deps.client.redirectUri);
      callback.search = new URLSearchParams(query).toString();
      flow.identity = await deps.client.finish(callback, flow);
    } catch (error) {
      deps.log.warn({ err: error }, 'PSC code exchange failed');
      await fail(flow, 'Connexion Pro Santé Connect refusée : le code est expiré ou invalide. Recommencez.', `code exchange: ${(error as Error).message}`);
      return page(401, 'Connexion refusée', flow.message!);
    }
    const rpps = flow.identity.rpps;
    if (flow.kind === 'effector') {
      const answer = rpps ? await deps.openEffector(flow.tenant, rpps, flow.address, flow.identity.acr) : null;
      if (!answer) {
        await fail(flow, `Aucune page effecteur de ce centre pour le RPPS ${rpps ?? flow.identity.subjectNameId}.`, 'unknown effector');
        return page(401, 'Connexion refusée', flow.message!);
      }
      flow.answer = answer;
      flow.status = 'done';
      return page(200, 'Connexion réussie', 'Vous êtes connecté : revenez à la page effecteur.');
    }
    const user = rpps ? await deps.findByRpps(flow.tenant, rpps) : undefined;
    if (!user || !user.active) {
      await fail(flow, `Aucun compte actif de ce centre n’est rattaché au RPPS ${rpps ?? flow.identity.subjectNameId}.`, 'unknown rpps');
      return page(401, 'Connexion refusée', flow.message!);
    }
    flow.user = user;
    if (flow.identity.practices.length > 1) {
      flow.status = 'choose';
      return page(200, 'Choisissez votre exercice', 'Revenez au poste de régulation pour choisir l’exercice sous lequel vous travaillez.');
    }
    await complete(flow);
    return page(200, 'Connexion réussie', 'Vous êtes connecté : revenez au poste de régulation.');
  });

  app.post<{ Params: { id: string } }>('/api/psc/flows/:id', access({ public: 'issue d’une connexion Pro Santé Connect (secret du flux)' }), async (req) => {
    const id = parseInput(z.uuid(), req.params.id);
    const input = parseInput(ClaimSchema, req.body);
    const flow = flows.get(id);
    const a = Buffer.from(flow?.secret ?? '');
    const b = Buffer.from(input.secret);
    if (!flow || a.length !== b.length || !timingSafeEqual(a, b)) throw new ApiError(404, 'not_found', 'Connexion inconnue ou expirée : recommencez.');
    if (flow.status === 'choose') {
      if (input.practice === undefined) return { status: 'choose' as const, practices: flow.identity!.practices.map((p) => p.label) };
      if (input.practice >= flow.identity!.practices.length) throw new ApiError(400, 'invalid_input', 'Exercice inconnu.');
      await complete(flow);
    }
    if (flow.status === 'pending') return { status: 'pending' as const };
    flows.delete(flow.id);
    if (flow.status === 'failed') throw new ApiError(401, 'unauthenticated', flow.message!);
    return { status: 'done' as const, login: flow.answer };
  });
}
