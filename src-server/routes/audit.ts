/**
 * The access audit over HTTP: workstations send the reads they recorded (offline ones later),
 * supervisors and admins read "who accessed this case" and a user's accesses over a period (CSV,
 * for a patient's access-log request), and an admin reads a case only by breaking the glass, with
 * a reason that is recorded before anything is shown.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Papa from 'papaparse';
import { format } from 'date-fns';
import { TZDate } from '@date-fns/tz';
import { z } from 'zod';
import type { Role } from '../../src-shared/domain/codes.js';
import { departmentTimeZone } from '../../src-shared/domain/departments.js';
import { periodOfDays } from '../../src-shared/domain/statistics.js';
import { ACCESS_ACTION_LABELS, BreakGlassSchema, RecordReadsSchema } from '../../src-shared/schemas/access-audit.js';
import type { SqlDatabase } from '../db/sql.js';
import { access, ADMIN, CASE_ROLES, readerOf, SUPERVISION, type Principal } from '../http/access.js';
import { ApiError, parseInput } from '../http/errors.js';
import type { Audit } from '../services/audit.js';
import { eventFromRow, type EventRow } from '../services/event-rows.js';

const PeriodSchema = z.strictObject({ from: z.iso.date(), to: z.iso.date() });

export function registerAuditRoutes(
  app: FastifyInstance,
  deps: {
    db: SqlDatabase;
    audit: Audit;
    authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
    department(tenant: string): Promise<string>;
  },
): void {
  const { audit } = deps;
  const caseId = (req: FastifyRequest) => parseInput(z.uuid(), (req.params as { id: string }).id);

  app.post('/api/audit/reads', access({ staff: CASE_ROLES, partner: true }), async (req) => {
    const p = await deps.authenticate(req);
    const { reads } = parseInput(RecordReadsSchema, req.body);
    await audit.access(
      p.tenant,
      reads.map((r) => ({ ...readerOf(p), action: r.action, caseId: r.caseId, detail: r.detail, at: r.at, clientId: r.id })),
    );
    return { recorded: reads.length };
  });

  app.get('/api/audit/cases/:id', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req) => {
    const p = await deps.authenticate(req);
    return { entries: await audit.ofCase(p.tenant, caseId(req)) };
  });

  app.get('/api/audit/users/:login/accesses.csv', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req, reply) => {
    const p = await deps.authenticate(req);
    const login = parseInput(z.string().min(1).max(100), (req.params as { login: string }).login);
    const q = parseInput(PeriodSchema, req.query);
    if (q.from > q.to) throw new ApiError(400, 'invalid_input', 'La période commence après sa fin.');
    const department = await deps.department(p.tenant);
    const period = periodOfDays(department, q.from, q.to);
    const userId = login.startsWith('effector:') ? login : `${p.tenant}:${login}`;
    const entries = await audit.ofUser(p.tenant, userId, period.from, period.to);
    const tz = departmentTimeZone(department);
    const csv = Papa.unparse(
      [
        ['Date et heure', 'Utilisateur', 'Rôle', 'Organisation', 'Poste', 'Adresse', 'Action', 'Dossier', 'Détail', 'Motif'],
        ...entries.map((e) => [
          format(new TZDate(e.at, tz), 'dd/MM/yyyy HH:mm:ss'),
          e.displayName,
          e.role,
          e.organisation ?? '',
          e.workstation ?? '',
          e.address ?? '',
          ACCESS_ACTION_LABELS[e.action] ?? e.action,
          e.caseId ?? '',
          e.detail ?? '',
          e.reason ?? '',
        ]),
      ],
      { delimiter: ';' },
    );
    await audit.access(p.tenant, [{ ...readerOf(p), action: 'report.download', detail: `accès de ${login} du ${q.from} au ${q.to}` }]);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="acces-${login.replace(/[^\w.-]/g, '_')}-${q.from}-${q.to}.csv"`)
      .send(`\uFEFF${csv}\r\n`);
  });

  // An admin has no access to patients; in an emergency he breaks the glass: the reason is recorded first.
  app.post('/api/cases/:id/break-glass', access({ staff: ADMIN }), async (req) => {
    const p = await deps.authenticate(req);
    const id = caseId(req);
    const { reason } = parseInput(BreakGlassSchema, req.body);
    await audit.access(p.tenant, [{ ...readerOf(p), action: 'case.break_glass', caseId: id, reason }]);
    req.log.warn({ tenant: p.tenant, user: p.userId, case: id }, 'break the glass');
    const { rows } = await deps.db.query<EventRow>('SELECT * FROM events WHERE tenant = $1 AND case_id = $2 ORDER BY seq', [p.tenant, id]);
    if (rows.length === 0) throw new ApiError(404, 'not_found', 'Dossier introuvable.');
    return { events: rows.map(eventFromRow) };
  });
}
