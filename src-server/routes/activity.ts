/**
 * The call log, statistics and reports routes. Call reports come from every workstation; live
 * calls are pushed to the tenant's sockets; statistics and reports are for supervisors and admins.
 */
import type { Role } from '../../src-shared/domain/codes.js';
import { redactCall, watches } from '../../src-shared/domain/redaction.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { format } from 'date-fns';
import { fr } from 'date-fns/locale/fr';
import { TZDate } from '@date-fns/tz';
import { z } from 'zod';
import { departmentTimeZone } from '../../src-shared/domain/departments.js';
import { CallReportPushSchema } from '../../src-shared/schemas/call-log.js';
import { IncentiveSettingsSchema } from '../../src-shared/schemas/statistics.js';
import type { ServerWsFrame } from '../../src-shared/sync-protocol/messages.js';
import type { SqlDatabase } from '../db/sql.js';
import { ApiError, parseInput } from '../http/errors.js';
import { access, ADMIN, ALL_STAFF, CASE_ROLES, readerOf, SUPERVISION, type Principal } from '../http/access.js';
import type { Audit } from '../services/audit.js';
import type { CallLog } from '../services/call-log.js';
import { actsCsv, actsYearCsv, activityCsv, activityPdf, type IncentiveSettings, type ReportMeta } from '../services/reports.js';
import { statisticsFor, todayFigures } from '../services/statistics.js';
import { pdsaRulesOf, setPdsaRules } from '../services/pdsa-settings.js';
import { PdsaRulesSchema } from '../../src-shared/schemas/reference.js';

export interface ActivityContext {
  db: SqlDatabase;
  now: () => number;
  callLog: CallLog;
  authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
  audit: Audit;
  broadcastFrame(tenant: string, frame: ServerWsFrame): void;
}

const Day = z.iso.date();
const StatsQuerySchema = z.strictObject({ from: Day, to: Day, sector: z.string().trim().min(1).max(50).optional() });
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'mois au format AAAA-MM');
const MonthQuerySchema = z.strictObject({ month: Month });
const ActsQuerySchema = z.union([z.strictObject({ month: Month }), z.strictObject({ year: z.string().regex(/^\d{4}$/, 'année au format AAAA') })]);
const DEFAULT_INCENTIVES: IncentiveSettings = { amountPerActCents: 0, yearEndComplementCents: 0 };

const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
};


export function registerActivityRoutes(app: FastifyInstance, ctx: ActivityContext): void {
  const { db } = ctx;

  app.post('/api/calls', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await ctx.authenticate(req);
    const input = parseInput(CallReportPushSchema, req.body);
    const agent = { userId: claims.userId, displayName: claims.displayName, role: claims.role, workstation: claims.workstationId };
    const recorded = await ctx.callLog.record(claims.tenant, agent, input.reports);
    if (recorded > 0) ctx.broadcastFrame(claims.tenant, { type: 'calls', calls: await ctx.callLog.live(claims.tenant) });
    return { recorded };
  });

  app.get('/api/calls/live', access({ staff: CASE_ROLES }), async (req) => {
    const claims = await ctx.authenticate(req);
    const calls = await ctx.callLog.live(claims.tenant);
    return { calls: watches(claims.role) ? calls.map(redactCall) : calls, at: ctx.now() };
  });

  app.get('/api/stats', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req) => {
    const claims = await ctx.authenticate(req);
    const q = parseInput(StatsQuerySchema, req.query);
    if (q.from > q.to) throw new ApiError(400, 'invalid_input', 'La période commence après sa fin.');
    return statisticsFor(db, claims.tenant, q.from, q.to, q.sector ?? null);
  });

  app.get('/api/stats/today', access({ staff: ALL_STAFF }), async (req) => {
    const claims = await ctx.authenticate(req);
    return { ...(await todayFigures(db, claims.tenant, ctx.now())), at: ctx.now() };
  });

  const meta = async (tenant: string, periodLabel: string): Promise<ReportMeta> => {
    const { rows } = await db.query<{ name: string; department: string }>('SELECT name, department FROM tenants WHERE id = $1', [tenant]);
    const t = rows[0]!;
    const generatedAt = format(new TZDate(ctx.now(), departmentTimeZone(t.department)), "d MMMM yyyy 'à' HH:mm", { locale: fr });
    return { centerName: t.name, department: t.department, periodLabel, generatedAt };
  };
  const monthLabel = (month: string) => format(new Date(`${month}-15T12:00:00Z`), 'MMMM yyyy', { locale: fr });

  app.get('/api/reports/activity.csv', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req, reply) => {
    const claims = await ctx.authenticate(req);
    const { month } = parseInput(MonthQuerySchema, req.query);
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'report.download', detail: `activity.csv ${month}` }]);
    const stats = await statisticsFor(db, claims.tenant, `${month}-01`, lastDay(month), null);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="activite-${claims.tenant}-${month}.csv"`)
      .send(activityCsv(stats, await meta(claims.tenant, monthLabel(month))));
  });

  app.get('/api/reports/activity.pdf', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req, reply) => {
    const claims = await ctx.authenticate(req);
    const { month } = parseInput(MonthQuerySchema, req.query);
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'report.download', detail: `activity.pdf ${month}` }]);
    const stats = await statisticsFor(db, claims.tenant, `${month}-01`, lastDay(month), null);
    const pdf = await activityPdf(stats, await meta(claims.tenant, monthLabel(month)));
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="activite-${claims.tenant}-${month}.pdf"`).send(pdf);
  });

  const incentives = async (tenant: string): Promise<IncentiveSettings> => {
    const { rows } = await db.query<{ a: number; c: number }>('SELECT amount_per_act_cents AS a, year_end_complement_cents AS c FROM incentive_settings WHERE tenant = $1', [tenant]);
    return rows[0] ? { amountPerActCents: Number(rows[0].a), yearEndComplementCents: Number(rows[0].c) } : DEFAULT_INCENTIVES;
  };

  // Every user's workstation reads the rules (its PDSA banner); only an admin changes them.
  app.get('/api/settings/pdsa', access({ staff: ALL_STAFF, partner: true }), async (req) => {
    const claims = await ctx.authenticate(req);
    return pdsaRulesOf(db, claims.tenant);
  });

  app.put('/api/settings/pdsa', access({ staff: ADMIN, refusal: 'Réservé aux administrateurs.' }), async (req) => {
    const claims = await ctx.authenticate(req);
    const rules = parseInput(PdsaRulesSchema, req.body);
    await setPdsaRules(db, claims.tenant, rules, claims.userId, ctx.now());
    req.log.info({ tenant: claims.tenant, ...rules }, 'PDSA rules changed');
    await ctx.audit.account(claims.tenant, { actor: claims.userId, action: 'settings.pdsa', address: claims.address, detail: rules });
    // Every workstation of the center reads them again (its PDSA banner follows at once).
    ctx.broadcastFrame(claims.tenant, { type: 'settings', what: 'pdsa' });
    return pdsaRulesOf(db, claims.tenant);
  });

  app.get('/api/settings/incentives', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req) => {
    const claims = await ctx.authenticate(req);
    return incentives(claims.tenant);
  });

  app.put('/api/settings/incentives', access({ staff: ADMIN, refusal: 'Réservé aux administrateurs.' }), async (req) => {
    const claims = await ctx.authenticate(req);
    const s = parseInput(IncentiveSettingsSchema, req.body);
    await db.query(
      `INSERT INTO incentive_settings (tenant, amount_per_act_cents, year_end_complement_cents, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant) DO UPDATE SET amount_per_act_cents = EXCLUDED.amount_per_act_cents,
         year_end_complement_cents = EXCLUDED.year_end_complement_cents, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
      [claims.tenant, s.amountPerActCents, s.yearEndComplementCents, ctx.now(), claims.userId],
    );
    req.log.info({ tenant: claims.tenant, ...s }, 'incentive settings changed');
    await ctx.audit.account(claims.tenant, { actor: claims.userId, action: 'settings.incentives', address: claims.address, detail: s });
    return s;
  });

  app.get('/api/reports/acts.csv', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs.' }), async (req, reply) => {
    const claims = await ctx.authenticate(req);
    const q = parseInput(ActsQuerySchema, req.query);
    await ctx.audit.access(claims.tenant, [{ ...readerOf(claims), action: 'report.download', detail: `acts.csv ${'month' in q ? q.month : q.year}` }]);
    const settings = await incentives(claims.tenant);
    let body: string;
    let name: string;
    if ('month' in q) {
      const stats = await statisticsFor(db, claims.tenant, `${q.month}-01`, lastDay(q.month), null);
      body = actsCsv(stats.cases.perPhysician, settings, await meta(claims.tenant, monthLabel(q.month)));
      name = q.month;
    } else {
      const months = [];
      for (let m = 1; m <= 12; m++) {
        const month = `${q.year}-${String(m).padStart(2, '0')}`;
        const stats = await statisticsFor(db, claims.tenant, `${month}-01`, lastDay(month), null);
        months.push({ month, perPhysician: stats.cases.perPhysician });
      }
      body = actsYearCsv(months, settings, await meta(claims.tenant, `année ${q.year}`));
      name = q.year;
    }
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="actes-${claims.tenant}-${name}.csv"`).send(body);
  });
}
