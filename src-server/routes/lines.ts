/**
 * The center's lines: the queue's figures (every staff member: the wall screen shows them), the
 * callback list (the numbers of callers who hung up: those who take calls), claiming an entry to
 * call back and saying how it went. A center without a call distributor answers "not enabled".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redactCallback, watches } from '../../src-shared/domain/redaction.js';
import { z } from 'zod';
import type { Role } from '../../src-shared/domain/codes.js';
import { CallbackResultSchema, NO_LINES } from '../../src-shared/schemas/lines.js';
import type { ServerWsFrame } from '../../src-shared/sync-protocol/messages.js';
import { ApiError, parseInput } from '../http/errors.js';
import { access, ALL_STAFF, CASE_ROLES, readerOf, type Principal } from '../http/access.js';
import type { Audit } from '../services/audit.js';
import type { LineDistributor } from '../telephony/line-distributor.js';

export interface LinesContext {
  distributor: LineDistributor | null;
  authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
  audit: Audit;
  broadcastFrame(tenant: string, frame: ServerWsFrame): void;
}

const IdParams = z.strictObject({ id: z.uuid() });

/** What the workstations are told after any change of a tenant's queue or callback list. */
export async function linesFrames(distributor: LineDistributor, tenant: string): Promise<ServerWsFrame[]> {
  return [
    { type: 'lines', status: await distributor.status(tenant) },
    { type: 'callbacks', callbacks: await distributor.callbacks.list(tenant) },
  ];
}

export function registerLineRoutes(app: FastifyInstance, ctx: LinesContext): void {
  const serves = (tenant: string) => (ctx.distributor?.tenants().includes(tenant) ? ctx.distributor : null);

  app.get('/api/lines/status', access({ staff: ALL_STAFF }), async (req) => {
    const claims = await ctx.authenticate(req);
    const d = serves(claims.tenant);
    return d ? await d.status(claims.tenant) : NO_LINES;
  });

  app.get('/api/callbacks', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await ctx.authenticate(req);
    const d = serves(claims.tenant);
    const callbacks = d ? await d.callbacks.list(claims.tenant) : [];
    // A supervisor watches the list; he does not call back (claim: ARMs and physicians).
    return { callbacks: watches(claims.role) ? callbacks.map(redactCallback) : callbacks };
  });

  app.post('/api/callbacks/:id/claim', access({ staff: ['arm', 'physician'] }), async (req) => {
    const claims = await ctx.authenticate(req);
    const { id } = parseInput(IdParams, req.params);
    const d = serves(claims.tenant);
    if (!d) throw new ApiError(404, 'not_found', 'Aucune ligne n’est gérée par ce serveur pour ce centre.');
    const claimed = await d.callbacks.claim(claims.tenant, id, claims.userId);
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'callback.claim', detail: `rappel ${id}` }]);
    for (const frame of await linesFrames(d, claims.tenant)) ctx.broadcastFrame(claims.tenant, frame);
    return claimed;
  });

  app.post('/api/callbacks/:id/result', access({ staff: ['arm', 'physician'] }), async (req) => {
    const claims = await ctx.authenticate(req);
    const { id } = parseInput(IdParams, req.params);
    const result = parseInput(CallbackResultSchema, req.body);
    const d = serves(claims.tenant);
    if (!d) throw new ApiError(404, 'not_found', 'Aucune ligne n’est gérée par ce serveur pour ce centre.');
    await d.callbacks.finish(claims.tenant, id, claims.userId, result);
    for (const frame of await linesFrames(d, claims.tenant)) ctx.broadcastFrame(claims.tenant, frame);
    return { ok: true };
  });
}
