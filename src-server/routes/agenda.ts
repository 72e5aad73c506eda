/**
 * The shared agenda over HTTP for the center's users and its partner organisations: search,
 * hold and book, surnombre, booking outcomes, publishing on an effector's behalf (tele-
 * secretariat, admin), organisations and their rights (admin), and the figures of the offer with
 * the incentive export (supervisors, admins). Effectors reach their own slots from their page.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Papa from 'papaparse';
import { z } from 'zod';
import type { Role } from '../../src-shared/domain/codes.js';
import { periodOfDays } from '../../src-shared/domain/statistics.js';
import { SNP_MAJORATION } from '../../src-shared/domain/slots.js';
import { ConfirmBookingSchema, HoldSchema, OrganisationSchema, PublishSlotsSchema, SlotSearchSchema, SurnombreSchema, BookingOutcomeSchema } from '../../src-shared/schemas/slots.js';
import { access, ADMIN, ALL_STAFF, CASE_ROLES, readerOf, SUPERVISION, type Principal } from '../http/access.js';
import type { Sessions } from '../services/sessions.js';
import type { Audit } from '../services/audit.js';
import type { Agenda, AgendaActor } from '../services/agenda.js';
import type { SqlDatabase } from '../db/sql.js';
import { ApiError, parseInput } from '../http/errors.js';

const OfferQuerySchema = z.strictObject({ from: z.iso.date(), to: z.iso.date() });
const MonthSchema = z.strictObject({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'mois attendu : AAAA-MM') });
const UserOrganisationSchema = z.strictObject({ organisationId: z.string().regex(/^[a-z0-9-]{1,40}$/).nullable() });

export function registerAgendaRoutes(
  app: FastifyInstance,
  deps: {
    db: SqlDatabase;
    agenda: Agenda;
    department(tenant: string): Promise<string>;
    authenticate(req: FastifyRequest): Promise<Principal & { role: Role }>;
    sessions: Sessions;
    audit: Audit;
  },
): void {
  const { agenda } = deps;
  const actorOf = async (req: FastifyRequest): Promise<{ claims: Principal & { role: Role }; actor: AgendaActor }> => {
    const claims = await deps.authenticate(req);
    const organisation = await agenda.organisationOfUser(claims.tenant, claims.userId);
    return { claims, actor: { id: claims.userId, name: claims.displayName, organisation, admin: claims.role === 'admin' } };
  };
  const id = (req: FastifyRequest) => parseInput(z.uuid(), (req.params as { id: string }).id);
  /** The center's regulators and the partner organisations (their rights are the agenda's to check). */
  const BOOKING = access({ staff: CASE_ROLES, partner: true });

  app.post('/api/agenda/search', access({ staff: ALL_STAFF, partner: true }), async (req) => {
    const { claims, actor } = await actorOf(req);
    return { slots: await agenda.search(claims.tenant, actor.organisation, parseInput(SlotSearchSchema, req.body)) };
  });

  app.post('/api/agenda/holds', BOOKING, async (req) => {
    const { claims, actor } = await actorOf(req);
    return agenda.hold(claims.tenant, actor, parseInput(HoldSchema, req.body).slotId);
  });

  app.post('/api/agenda/bookings/:id/confirm', BOOKING, async (req) => {
    const { claims, actor } = await actorOf(req);
    return agenda.confirm(claims.tenant, actor, id(req), parseInput(ConfirmBookingSchema, req.body));
  });

  app.post('/api/agenda/bookings/:id/state', BOOKING, async (req) => {
    const { claims, actor } = await actorOf(req);
    return agenda.setBookingState(claims.tenant, actor, id(req), parseInput(BookingOutcomeSchema, req.body).state);
  });

  app.post('/api/agenda/surnombre', BOOKING, async (req) => {
    const { claims, actor } = await actorOf(req);
    return agenda.surnombre(claims.tenant, actor, parseInput(SurnombreSchema, req.body));
  });

  app.get('/api/agenda/bookings', BOOKING, async (req) => {
    const { claims, actor } = await actorOf(req);
    // A partner sees its own bookings; the center's regulation sees all of them.
    // Expired holds are left out: they took no place and hold no patient.
    const all = await agenda.bookings(claims.tenant, { from: Date.now() - 24 * 3600_000, ...(actor.organisation ? { organisation: actor.organisation.id } : {}) }, actor);
    // The bookings name their patients: the read is traced.
    await deps.audit.access(claims.tenant, [
      { ...readerOf(claims), action: 'agenda.bookings', detail: `${all.length} réservations` },
    ]);
    return { bookings: all.filter((b) => b.state !== 'held' || (b.heldUntil ?? 0) > Date.now()) };
  });

  app.post('/api/agenda/slots', access({ staff: ADMIN, partner: true }), async (req) => {
    const { claims, actor } = await actorOf(req);
    const body = parseInput(z.looseObject({ effectorId: z.string().min(9).max(11) }), req.body);
    const { effectorId, ...rest } = body as { effectorId: string } & Record<string, unknown>;
    return { slots: await agenda.publish(claims.tenant, actor, effectorId, parseInput(PublishSlotsSchema, rest)) };
  });

  app.get('/api/organisations', access({ staff: ALL_STAFF }), async (req) => {
    const { claims } = await actorOf(req);
    return { organisations: await agenda.organisations(claims.tenant) };
  });

  app.put('/api/admin/organisations', access({ staff: ADMIN }), async (req) => {
    const { claims } = await actorOf(req);
    const org = parseInput(OrganisationSchema, req.body);
    await agenda.setOrganisation(claims.tenant, org);
    await deps.audit.account(claims.tenant, { actor: claims.userId, action: 'organisation.set', target: org.id, address: claims.address, detail: org });
    return org;
  });

  app.put('/api/admin/users/:login/organisation', access({ staff: ADMIN }), async (req) => {
    const { claims } = await actorOf(req);
    const { organisationId } = parseInput(UserOrganisationSchema, req.body);
    if (organisationId && !(await agenda.organisations(claims.tenant)).some((o) => o.id === organisationId)) throw new ApiError(404, 'not_found', 'Organisation inconnue.');
    const login = parseInput(z.string().min(1).max(100), (req.params as { login: string }).login);
    const { rows } = await deps.db.query<{ id: string }>('UPDATE users SET organisation_id = $3 WHERE tenant = $1 AND login = $2 RETURNING id', [claims.tenant, login, organisationId]);
    if (!rows[0]) throw new ApiError(404, 'not_found', 'Utilisateur inconnu.');
    // What the account may see changed: its open sessions end (it logs in again under its new rights).
    const ended = await deps.sessions.endAllOf(claims.tenant, rows[0].id, 'organisation_changed');
    await deps.audit.account(claims.tenant, { actor: claims.userId, action: 'user.organisation', target: rows[0].id, address: claims.address, detail: { organisationId, sessionsEnded: ended } });
    return { login, organisationId };
  });

  app.get('/api/agenda/offer', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs du centre.' }), async (req) => {
    const { claims } = await actorOf(req);
    const q = parseInput(OfferQuerySchema, req.query);
    const period = periodOfDays(await deps.department(claims.tenant), q.from, q.to);
    return agenda.offer(claims.tenant, period.from, period.to, SNP_MAJORATION);
  });

  app.get('/api/reports/effector-incentives.csv', access({ staff: SUPERVISION, refusal: 'Réservé aux superviseurs et administrateurs du centre.' }), async (req, reply) => {
    const { claims } = await actorOf(req);
    const { month } = parseInput(MonthSchema, req.query);
    const [y, m] = month.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const period = periodOfDays(await deps.department(claims.tenant), `${month}-01`, `${month}-${String(last).padStart(2, '0')}`);
    const offer = await agenda.offer(claims.tenant, period.from, period.to, SNP_MAJORATION);
    const euros = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');
    const csv = Papa.unparse(
      [
        ['RPPS/ADELI', 'Professionnel', 'Actes honorés', 'Actes payés', 'Exclus (patientèle propre)', 'Exclus (délai > 48 h)', 'Au-delà du plafond hebdomadaire', 'Montant (€)'],
        ...offer.incentives.map((c) => [c.effectorId, c.name, c.acts, c.paid, c.excludedOwnPatients, c.excludedLate, c.overCap, euros(c.amountCents)]),
      ],
      { delimiter: ';' },
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="majorations-effecteurs-${claims.tenant}-${month}.csv"`)
      .send(`\uFEFF${csv}\r\n`);
  });
}
