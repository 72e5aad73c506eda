/**
 * The Hub Santé link as the center's users see it: its state, the messages waiting for the
 * partner's acknowledgement, the quarantine (supervisors read and replay it), the SAS platform's
 * appointments (listed, linked to a case), a case's messages verbatim, and the settings of the
 * national SAS platform's contextual search. A center without a Hub link answers `enabled: false`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../src-shared/domain/codes.js';
import type { ServerWsFrame } from '../../src-shared/sync-protocol/messages.js';
import { access, ALL_STAFF, readerOf, type Principal } from '../http/access.js';
import type { Audit } from '../services/audit.js';
import type { HubService } from '../hubsante/hub-service.js';
import { ApiError, parseInput } from '../http/errors.js';

const LinkSchema = z.strictObject({ caseId: z.uuid() });
const DistributionIdSchema = z.string().min(3).max(200).regex(/^[\w.-]+$/, 'distributionID invalide');

export function registerHubRoutes(
  app: FastifyInstance,
  deps: {
    hub(tenant: string): HubService | undefined;
    authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
    audit: Audit;
  },
): void {
  const hubOf = async (req: FastifyRequest) => {
    const claims = await deps.authenticate(req);
    const hub = deps.hub(claims.tenant);
    if (!hub) throw new ApiError(404, 'not_found', 'Ce centre n’est pas relié au Hub Santé.');
    return { claims, hub };
  };

  app.get('/api/hub/status', access({ staff: ALL_STAFF }), async (req) => {
    const claims = await deps.authenticate(req);
    const hub = deps.hub(claims.tenant);
    if (!hub) return { enabled: false as const };
    return { enabled: true as const, status: await hub.status(), sasSearch: hub.config.sasSearch };
  });

  app.get('/api/hub/quarantine', access({ staff: ['supervisor'] }), async (req) => {
    const { hub } = await hubOf(req);
    return { items: await hub.quarantined() };
  });

  app.post('/api/hub/quarantine/:id/replay', access({ staff: ['supervisor'] }), async (req) => {
    const { hub } = await hubOf(req);
    const id = parseInput(DistributionIdSchema, (req.params as { id: string }).id);
    const outcome = await hub.replay(id);
    if (outcome === 'not_found') throw new ApiError(404, 'not_found', 'Message absent de la quarantaine.');
    return { outcome };
  });

  app.get('/api/hub/appointments', access({ staff: ['arm', 'physician', 'supervisor'] }), async (req) => {
    const { hub } = await hubOf(req);
    return { appointments: await hub.appointments() };
  });

  app.post('/api/hub/appointments/:id/link', access({ staff: ['arm', 'physician'] }), async (req) => {
    const { hub, claims } = await hubOf(req);
    const id = parseInput(z.string().min(1).max(200), (req.params as { id: string }).id);
    const input = parseInput(LinkSchema, req.body);
    const outcome = await hub.linkAppointment(id, input.caseId, { userId: claims.userId, displayName: claims.displayName, role: claims.role });
    if (outcome === 'not_found') throw new ApiError(404, 'not_found', 'Rendez-vous inconnu.');
    if (outcome === 'case_not_found') throw new ApiError(404, 'not_found', 'Dossier introuvable ou fermé à cette action.');
    return { outcome };
  });

  app.get('/api/hub/cases/:id/messages', access({ staff: ['arm', 'physician', 'supervisor'] }), async (req) => {
    const { hub, claims } = await hubOf(req);
    const id = parseInput(z.uuid(), (req.params as { id: string }).id);
    const [messages] = await Promise.all([
      hub.journalOf(id),
      deps.audit.access(claims.tenant, [
        { ...readerOf(claims), action: 'hub.messages', caseId: id },
      ]),
    ]);
    return { messages };
  });
}

/** The frame that tells a center's workstations to read the Hub's state again. */
export const hubChangedFrame = (version: number): ServerWsFrame => ({ type: 'hub', version });
