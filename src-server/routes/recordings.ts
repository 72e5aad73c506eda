/**
 * The recordings of the lines' conversations: listed in a case for those who work on cases,
 * listened to through the access audit (who, when, which case), exported by a supervisor for a
 * legal request (the reason is kept with the export). A partner organisation never gets one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../src-shared/domain/codes.js';
import { RecordingExportRequestSchema, type RecordingView } from '../../src-shared/schemas/lines.js';
import type { SqlDatabase } from '../db/sql.js';
import { ApiError, parseInput } from '../http/errors.js';
import { access, CASE_ROLES, readerOf, type Principal } from '../http/access.js';
import type { Audit } from '../services/audit.js';
import { RECORDING_MIME, type RecordingStore } from '../telephony/recordings.js';

export interface RecordingsContext {
  db: SqlDatabase;
  recordings: RecordingStore | null;
  authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
  audit: Audit;
}

const IdParams = z.strictObject({ id: z.uuid() });

export function registerRecordingRoutes(app: FastifyInstance, ctx: RecordingsContext): void {
  const caseOfCall = async (tenant: string, callId: string): Promise<string | null> => {
    const { rows } = await ctx.db.query<{ case_id: string | null }>('SELECT case_id FROM calls WHERE tenant = $1 AND call_id = $2', [tenant, callId]);
    return rows[0]?.case_id ?? null;
  };
  const store = () => {
    if (!ctx.recordings) throw new ApiError(404, 'not_found', 'Aucun enregistrement : les lignes de ce serveur ne sont pas enregistrées.');
    return ctx.recordings;
  };

  app.get('/api/cases/:id/recordings', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await ctx.authenticate(req);
    const { id } = parseInput(IdParams, req.params);
    if (!ctx.recordings) return { recordings: [] };
    // The case's calls: those the call log ties to it, and those recorded in the case itself.
    const { rows } = await ctx.db.query<{ call_id: string }>(
      `SELECT call_id FROM calls WHERE tenant = $1 AND case_id = $2
       UNION SELECT jsonb_array_elements(coalesce(data::jsonb -> 'calls', '[]'::jsonb)) ->> 'callId' FROM cases WHERE tenant = $1 AND id = $2`,
      [claims.tenant, id],
    );
    const list = await ctx.recordings.ofCalls(claims.tenant, rows.map((r) => r.call_id));
    const recordings: RecordingView[] = list.map((r) => ({ id: r.id, callId: r.callId, line: r.line, startedAt: r.startedAt, durationMs: r.durationMs, purged: r.purgedAt !== null }));
    return { recordings };
  });

  app.get('/api/recordings/:id/audio', access({ staff: CASE_ROLES }), async (req, reply) => {
    const claims = await ctx.authenticate(req);
    const { id } = parseInput(IdParams, req.params);
    const found = await store().audio(claims.tenant, id);
    if (!found) throw new ApiError(404, 'not_found', 'Enregistrement introuvable ou purgé (durée de conservation écoulée).');
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'recording.play', caseId: await caseOfCall(claims.tenant, found.callId), detail: `enregistrement ${id}` }]);
    return reply.header('content-type', RECORDING_MIME).header('cache-control', 'no-store').header('content-disposition', `inline; filename="enregistrement-${id}.ogg"`).send(found.audio);
  });

  app.post('/api/recordings/:id/export', access({ staff: ['supervisor'] }), async (req, reply) => {
    const claims = await ctx.authenticate(req);
    const { id } = parseInput(IdParams, req.params);
    const { reason } = parseInput(RecordingExportRequestSchema, req.body);
    const found = await store().audio(claims.tenant, id);
    if (!found) throw new ApiError(404, 'not_found', 'Enregistrement introuvable ou purgé (durée de conservation écoulée).');
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'recording.export', caseId: await caseOfCall(claims.tenant, found.callId), detail: `enregistrement ${id} sha256 ${found.sha256}`, reason }]);
    return reply
      .header('content-type', RECORDING_MIME)
      .header('cache-control', 'no-store')
      .header('x-recording-sha256', found.sha256)
      .header('content-disposition', `attachment; filename="enregistrement-${id}.ogg"`)
      .send(found.audio);
  });
}
