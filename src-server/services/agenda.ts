/**
 * The shared agenda of unscheduled-care slots on the server: publishing (weekly series expanded
 * into slots), search (nearness by sector, then an order that favours no doctor; visibility per
 * organisation; unavailable doctors left out), holds and bookings under the slot's row lock (two
 * bookers on the last place: one wins, the other is told at once), surnombre, outcomes, and the
 * figures supervisors follow the offer with. Rules come from src-shared/domain/slots.ts.
 */
import { randomUUID } from 'node:crypto';
import { departmentTimeZone } from '../../src-shared/domain/departments.js';
import { canTake, seedOf, openPlaces } from '../../src-shared/domain/effector-availability.js';
import {
  canMove,
  heatmap,
  hoursOffered,
  incentiveCounts,
  searchWindow,
  sectorsWithoutSlot,
  visibleTo,
  weeklyOccurrences,
  HOLD_MS,
  type Act,
  type IncentiveRules,
} from '../../src-shared/domain/slots.js';
import { effectorName, type AvailabilityProfile, type Effector } from '../../src-shared/schemas/effectors.js';
import type { Directory } from '../../src-shared/schemas/directory.js';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import {
  OrganisationSchema,
  type Booking,
  type BookingState,
  type Organisation,
  type PublishSlots,
  type Slot,
  type SlotSearch,
} from '../../src-shared/schemas/slots.js';
import type { Queryable, SqlDatabase } from '../db/sql.js';
import { ApiError } from '../http/errors.js';

interface SlotRow {
  id: string;
  series: string;
  effector_id: string;
  kind: 'single' | 'range';
  start_at: string | number;
  end_at: string | number;
  capacity: number;
  modality: Slot['modality'];
  place_id: string | null;
  sectors: string[];
  visibility: Slot['visibility'];
  cpts: string[];
  cancelled: boolean;
  taken?: string | number;
}
interface BookingRow {
  id: string;
  slot_id: string | null;
  effector_id: string;
  surnombre: boolean;
  at: string | number;
  state: BookingState;
  held_until: string | number | null;
  booked_by: string;
  booked_by_name: string;
  organisation: string;
  case_id: string | null;
  reason: string;
  delay: Booking['delay'];
  patient: string | null;
  created_at: string | number;
}

/** Who acts: a user of the center (organisation null = its own regulation), or an effector. */
export interface AgendaActor {
  id: string;
  name: string;
  organisation: Organisation | null;
  /** Set when the actor is an effector on their page. */
  effectorId?: string;
  admin?: boolean;
}

/** The organisation a booking made by the center's own regulation records. */
export const OWN_REGULATION = 'regulation';

const TAKEN_SQL = `(SELECT count(*) FROM slot_bookings b WHERE b.tenant = s.tenant AND b.slot_id = s.id
   AND (b.state IN ('booked', 'fulfilled', 'no_show') OR (b.state = 'held' AND b.held_until > $NOW)))`;

export class Agenda {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    private readonly directory: (tenant: string) => Promise<Directory>,
    private readonly profiles: (tenant: string) => Promise<AvailabilityProfile[]>,
    private readonly department: (tenant: string) => Promise<string>,
    /** Effectors whose slots or bookings changed (their pages), and the center's workstations. */
    private readonly onChange: (tenant: string, effectorIds: string[]) => void,
  ) {}

  // ---- organisations --------------------------------------------------------------------------

  async organisations(tenant: string): Promise<Organisation[]> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM organisations WHERE tenant = $1 ORDER BY id', [tenant]);
    return rows.map((r) => OrganisationSchema.parse(JSON.parse(r.data)));
  }

  async setOrganisation(tenant: string, org: Organisation): Promise<void> {
    await this.db.query(
      'INSERT INTO organisations (tenant, id, data) VALUES ($1, $2, $3) ON CONFLICT (tenant, id) DO UPDATE SET data = EXCLUDED.data',
      [tenant, org.id, JSON.stringify(org)],
    );
  }

  async organisationOfUser(tenant: string, userId: string): Promise<Organisation | null> {
    const { rows } = await this.db.query<{ organisation_id: string | null }>('SELECT organisation_id FROM users WHERE tenant = $1 AND id = $2', [tenant, userId]);
    const id = rows[0]?.organisation_id;
    if (!id) return null;
    const org = (await this.organisations(tenant)).find((o) => o.id === id);
    // A user of an organisation that no longer exists sees nothing rather than everything.
    return org ?? { id, name: id, kind: 'tele_secretariat', sees: [], cpts: [], canBook: false };
  }

  private log(q: Queryable, tenant: string, kind: string, actor: AgendaActor, slotId: string | null, bookingId: string | null, detail: unknown = null) {
    return q.query('INSERT INTO agenda_log (tenant, at, kind, slot_id, booking_id, actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      tenant,
      this.now(),
      kind,
      slotId,
      bookingId,
      actor.id,
      detail === null ? null : JSON.stringify(detail),
    ]);
  }

  // ---- publishing -----------------------------------------------------------------------------

  /**
   * The doctor himself, an admin, or a tele-secretariat for the doctors of the structures it
   * serves (its organisation's structures): not for every doctor of the center.
   */
  private async canPublishFor(tenant: string, actor: AgendaActor, effectorId: string): Promise<boolean> {
    if (actor.effectorId === effectorId || actor.admin) return true;
    const org = actor.organisation;
    if (org?.kind !== 'tele_secretariat') return false;
    const e = (await this.directory(tenant)).effectors.find((x) => x.id === effectorId);
    return !!e && e.structures.some((s) => org.cpts.includes(s));
  }

  async publish(tenant: string, actor: AgendaActor, effectorId: string, input: PublishSlots): Promise<Slot[]> {
    if (!(await this.canPublishFor(tenant, actor, effectorId))) throw new ApiError(403, 'forbidden', 'Publication réservée au médecin, au télésecrétariat de sa structure ou à un administrateur.');
    const dir = await this.directory(tenant);
    const e = dir.effectors.find((x) => x.id === effectorId);
    if (!e) throw new ApiError(404, 'not_found', 'Professionnel absent de l’annuaire.');
    if (!e.participation.agenda) throw new ApiError(403, 'forbidden', 'Ce professionnel ne contribue pas à l’agenda partagé (annuaire).');
    if (input.placeId !== null && !e.places.some((p) => p.id === input.placeId)) throw new ApiError(400, 'invalid_input', `Lieu inconnu : ${input.placeId}.`);
    if (input.start < this.now() - 5 * 60_000) throw new ApiError(400, 'invalid_input', 'Pas de créneau dans le passé.');
    const structureCpts = new Set(dir.structures.filter((s) => s.kind === 'CPTS').map((s) => s.id));
    const unknownCpts = input.cpts.filter((c) => !structureCpts.has(c));
    if (unknownCpts.length) throw new ApiError(400, 'invalid_input', `CPTS inconnues : ${unknownCpts.join(', ')}.`);
    const tz = departmentTimeZone(await this.department(tenant));
    const series = randomUUID();
    const occurrences = weeklyOccurrences(input.start, input.end, input.repeatWeeks, tz);
    const ids = occurrences.map(() => randomUUID());
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO slots (tenant, id, series, effector_id, kind, start_at, end_at, capacity, modality, place_id, sectors, visibility, cpts, created_at, created_by)
         SELECT $1, id, $2, $3, $4, s, e, $5, $6, $7, $8::text[], $9, $10::text[], $11, $12 FROM unnest($13::uuid[], $14::bigint[], $15::bigint[]) AS x(id, s, e)`,
        [tenant, series, effectorId, input.kind, input.capacity, input.modality, input.placeId, e.sectors, input.visibility, input.cpts, this.now(), actor.id, ids, occurrences.map((o) => o.start), occurrences.map((o) => o.end)],
      );
      await this.log(tx, tenant, 'published', actor, null, null, { series, count: ids.length, effectorId });
    });
    this.onChange(tenant, [effectorId]);
    return this.slotsByIds(tenant, ids);
  }

  async cancelSlot(tenant: string, actor: AgendaActor, slotId: string): Promise<void> {
    const touched = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<SlotRow>('SELECT * FROM slots WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, slotId]);
      const slot = rows[0];
      if (!slot) throw new ApiError(404, 'not_found', 'Créneau introuvable.');
      if (!(await this.canPublishFor(tenant, actor, slot.effector_id))) throw new ApiError(403, 'forbidden', 'Seul le médecin (ou son télésecrétariat) retire ses créneaux.');
      if (slot.cancelled) throw new ApiError(409, 'conflict', 'Créneau déjà retiré.');
      await tx.query('UPDATE slots SET cancelled = TRUE WHERE tenant = $1 AND id = $2', [tenant, slotId]);
      const { rows: cancelled } = await tx.query<{ id: string }>(
        "UPDATE slot_bookings SET state = 'cancelled', updated_at = $3 WHERE tenant = $1 AND slot_id = $2 AND state IN ('held', 'booked') RETURNING id",
        [tenant, slotId, this.now()],
      );
      await this.log(tx, tenant, 'slot_cancelled', actor, slotId, null, { bookingsCancelled: cancelled.map((c) => c.id) });
      return slot.effector_id;
    });
    this.onChange(tenant, [touched]);
  }

  // ---- search ---------------------------------------------------------------------------------

  private async toSlots(tenant: string, rows: SlotRow[], dir?: Directory): Promise<Slot[]> {
    const d = dir ?? (await this.directory(tenant));
    const byId = new Map(d.effectors.map((e) => [e.id, e]));
    return rows.map((r) => {
      const e = byId.get(r.effector_id);
      const place = r.place_id ? e?.places.find((p) => p.id === r.place_id) : undefined;
      return {
        id: r.id,
        effectorId: r.effector_id,
        effectorName: e ? effectorName(e) : r.effector_id,
        kind: r.kind,
        start: Number(r.start_at),
        end: Number(r.end_at),
        capacity: r.capacity,
        taken: Number(r.taken ?? 0),
        modality: r.modality,
        placeId: r.place_id,
        placeName: place?.name ?? null,
        address: place?.address ?? null,
        inseeCode: place?.inseeCode ?? null,
        sectors: r.sectors,
        visibility: r.visibility,
        cancelled: r.cancelled,
      };
    });
  }

  async slotsByIds(tenant: string, ids: string[]): Promise<Slot[]> {
    const { rows } = await this.db.query<SlotRow>(`SELECT s.*, ${TAKEN_SQL.replace('$NOW', '$3')} AS taken FROM slots s WHERE s.tenant = $1 AND s.id = ANY($2::uuid[]) ORDER BY s.start_at`, [
      tenant,
      ids,
      this.now(),
    ]);
    return this.toSlots(tenant, rows);
  }

  /**
   * Free places in a window, nearest first (the patient's sector, adjacent sectors, the rest),
   * then in an order drawn from the seed (the same search gives the same order; no doctor comes
   * first by construction). Slots of doctors unavailable at the slot's time are left out.
   */
  async search(tenant: string, org: Organisation | null, q: SlotSearch): Promise<Slot[]> {
    const dir = await this.directory(tenant);
    const tz = departmentTimeZone(await this.department(tenant));
    const now = this.now();
    const { from, to } = searchWindow(q.window, now, tz);
    const sector = q.sectorCode ?? (q.inseeCode ? dir.sectors.find((s) => s.communes.includes(q.inseeCode!))?.code : undefined);
    const adjacent = sector ? (dir.sectors.find((s) => s.code === sector)?.adjacent ?? []) : [];
    const sees = org ? org.sees : ['public', 'pro', 'snp', 'cpts'];
    const seed = String(seedOf(q.seed ?? String(now)));
    // Nearest first, then a hash of the slot and the seed (cheap, and the same search keeps its
    // order); places left are counted for the candidates only.
    const { rows } = await this.db.query<SlotRow & { nearness: number }>(
      `SELECT * FROM (
         SELECT x.*, ${TAKEN_SQL.replace('$NOW', '$4').replace(/\bs\./g, 'x.')} AS taken FROM (
           SELECT s.*, CASE WHEN s.sectors && $5::text[] THEN 0 WHEN s.sectors && $6::text[] THEN 1 ELSE 2 END AS nearness,
             hashtext(s.id::text || $11) AS h
             FROM slots s
            WHERE s.tenant = $1 AND NOT s.cancelled AND s.start_at < $3 AND s.end_at > $2 AND s.end_at > $4
              AND ($7::text IS NULL OR s.modality = $7)
              AND s.visibility = ANY($8::text[]) AND (s.visibility <> 'cpts' OR $9::boolean OR s.cpts && $10::text[])
            ORDER BY nearness, h, s.start_at
            LIMIT $12) x) y
        WHERE y.taken < y.capacity
        ORDER BY nearness, h, start_at`,
      [tenant, from, to, now, sector ? [sector] : [], adjacent, q.modality ?? null, sees, org === null, org?.cpts ?? [], seed, q.limit * 4],
    );
    const profiles = new Map((await this.profiles(tenant)).map((p) => [p.effectorId, p]));
    const byId = new Map(dir.effectors.map((e) => [e.id, e]));
    const available = rows.filter((r) => {
      const e = byId.get(r.effector_id);
      if (!e) return false;
      const at = Math.max(Number(r.start_at), now);
      if (r.modality === 'cabinet') return openPlaces(e, profiles.get(e.id), at).some((p) => p.id === r.place_id);
      return canTake(e, profiles.get(e.id), r.modality === 'home_visit' ? 'visit' : 'consultation', at).ok || (r.modality === 'teleconsultation' && openPlaces(e, profiles.get(e.id), at).length > 0);
    });
    const slots = await this.toSlots(tenant, available.slice(0, q.limit), dir);
    return slots.map((s, i) => ({ ...s, nearness: Number(available[i]!.nearness) }));
  }

  // ---- bookings -------------------------------------------------------------------------------

  /** Hold a place for a few minutes (the booker fills the patient in), or book at once. */
  async hold(tenant: string, actor: AgendaActor, slotId: string): Promise<Booking> {
    if (actor.organisation && !actor.organisation.canBook) throw new ApiError(403, 'forbidden', `${actor.organisation.name} peut consulter l’agenda mais pas réserver.`);
    const now = this.now();
    const id = randomUUID();
    const effectorId = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<SlotRow>('SELECT * FROM slots WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, slotId]);
      const slot = rows[0];
      if (!slot || !visibleTo(slot, actor.organisation)) throw new ApiError(404, 'not_found', 'Créneau introuvable.');
      if (slot.cancelled) throw new ApiError(409, 'conflict', 'Créneau retiré par le médecin.');
      if (Number(slot.end_at) <= now) throw new ApiError(409, 'conflict', 'Créneau passé.');
      const { rows: t } = await tx.query<{ n: string }>(
        "SELECT count(*) AS n FROM slot_bookings WHERE tenant = $1 AND slot_id = $2 AND (state IN ('booked', 'fulfilled', 'no_show') OR (state = 'held' AND held_until > $3))",
        [tenant, slotId, now],
      );
      if (Number(t[0]!.n) >= slot.capacity) throw new ApiError(409, 'already_taken', 'Plus de place : la dernière vient d’être prise par un autre réservataire.');
      await tx.query(
        `INSERT INTO slot_bookings (tenant, id, slot_id, effector_id, surnombre, at, state, held_until, booked_by, booked_by_name, organisation, case_id, reason, delay, patient, created_at, updated_at)
         VALUES ($1, $2, $3, $4, FALSE, $5, 'held', $6, $7, $8, $9, NULL, '', 'RDV', NULL, $10, $10)`,
        [tenant, id, slotId, slot.effector_id, Number(slot.start_at), now + HOLD_MS, actor.id, actor.name, actor.organisation?.id ?? OWN_REGULATION, now],
      );
      await this.log(tx, tenant, 'held', actor, slotId, id);
      return slot.effector_id;
    });
    this.onChange(tenant, [effectorId]);
    return (await this.bookings(tenant, { ids: [id] }, actor))[0]!;
  }

  async confirm(tenant: string, actor: AgendaActor, bookingId: string, input: { caseId: string | null; reason: string; delay: Booking['delay']; patient: NonNullable<Booking['patient']> }): Promise<Booking> {
    const effectorId = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<BookingRow>('SELECT * FROM slot_bookings WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, bookingId]);
      const b = rows[0];
      if (!b || b.booked_by !== actor.id) throw new ApiError(404, 'not_found', 'Option introuvable.');
      if (!canMove({ state: b.state, heldUntil: b.held_until === null ? null : Number(b.held_until) }, 'booked', this.now())) {
        throw new ApiError(409, 'conflict', b.state === 'held' ? 'L’option a expiré : cherchez à nouveau un créneau.' : 'Réservation déjà confirmée ou annulée.');
      }
      await tx.query("UPDATE slot_bookings SET state = 'booked', held_until = NULL, case_id = $3, reason = $4, delay = $5, patient = $6, updated_at = $7 WHERE tenant = $1 AND id = $2", [
        tenant,
        bookingId,
        input.caseId,
        input.reason,
        input.delay,
        JSON.stringify(input.patient),
        this.now(),
      ]);
      await this.log(tx, tenant, 'booked', actor, b.slot_id, bookingId, { caseId: input.caseId });
      return b.effector_id;
    });
    this.onChange(tenant, [effectorId]);
    return (await this.bookings(tenant, { ids: [bookingId] }, actor))[0]!;
  }

  async surnombre(tenant: string, actor: AgendaActor, input: { effectorId: string; at: number; caseId: string | null; reason: string; delay: Booking['delay']; patient: NonNullable<Booking['patient']> }): Promise<Booking> {
    if (actor.organisation && !actor.organisation.canBook) throw new ApiError(403, 'forbidden', `${actor.organisation.name} ne réserve pas.`);
    const e = (await this.directory(tenant)).effectors.find((x) => x.id === input.effectorId);
    if (!e) throw new ApiError(404, 'not_found', 'Professionnel absent de l’annuaire.');
    if (!e.participation.surnombre) throw new ApiError(409, 'conflict', `${effectorName(e)} n’accepte pas de patient en surnombre.`);
    if (input.at < this.now() - 3600_000) throw new ApiError(400, 'invalid_input', 'Heure passée.');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO slot_bookings (tenant, id, slot_id, effector_id, surnombre, at, state, held_until, booked_by, booked_by_name, organisation, case_id, reason, delay, patient, created_at, updated_at)
         VALUES ($1, $2, NULL, $3, TRUE, $4, 'booked', NULL, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
        [tenant, id, e.id, input.at, actor.id, actor.name, actor.organisation?.id ?? OWN_REGULATION, input.caseId, input.reason, input.delay, JSON.stringify(input.patient), this.now()],
      );
      await this.log(tx, tenant, 'surnombre', actor, null, id, { effectorId: e.id });
    });
    this.onChange(tenant, [e.id]);
    return (await this.bookings(tenant, { ids: [id] }, actor))[0]!;
  }

  async setBookingState(tenant: string, actor: AgendaActor, bookingId: string, to: 'fulfilled' | 'no_show' | 'cancelled'): Promise<Booking> {
    const effectorId = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<BookingRow>('SELECT * FROM slot_bookings WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, bookingId]);
      const b = rows[0];
      if (!b) throw new ApiError(404, 'not_found', 'Réservation introuvable.');
      // The effector says whether the patient came; the booker's side (or the regulation) may cancel.
      const isEffector = actor.effectorId === b.effector_id;
      const isBookerSide = !actor.effectorId && (actor.organisation === null || actor.organisation.id === b.organisation);
      if (to === 'cancelled' ? !(isEffector || isBookerSide) : !isEffector) throw new ApiError(403, 'forbidden', 'Action réservée au médecin réservé (présence) ou au réservataire (annulation).');
      if (!canMove({ state: b.state, heldUntil: b.held_until === null ? null : Number(b.held_until) }, to, this.now())) throw new ApiError(409, 'invalid_transition', 'Changement d’état impossible.');
      await tx.query('UPDATE slot_bookings SET state = $3, updated_at = $4 WHERE tenant = $1 AND id = $2', [tenant, bookingId, to, this.now()]);
      await this.log(tx, tenant, to, actor, b.slot_id, bookingId);
      return b.effector_id;
    });
    this.onChange(tenant, [effectorId]);
    return (await this.bookings(tenant, { ids: [bookingId] }, actor))[0]!;
  }

  /** Bookings, with the patient's identity only for the booked effector, the center's regulation and the booking's organisation. */
  async bookings(tenant: string, filter: { ids?: string[]; effectorId?: string; from?: number; organisation?: string }, viewer: AgendaActor): Promise<Booking[]> {
    const { rows } = await this.db.query<BookingRow>(
      `SELECT * FROM slot_bookings WHERE tenant = $1
         AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
         AND ($3::text IS NULL OR effector_id = $3)
         AND ($4::bigint IS NULL OR at >= $4)
         AND ($5::text IS NULL OR organisation = $5)
       ORDER BY at LIMIT 500`,
      [tenant, filter.ids ?? null, filter.effectorId ?? null, filter.from ?? null, filter.organisation ?? null],
    );
    const dir = await this.directory(tenant);
    const names = new Map(dir.effectors.map((e) => [e.id, effectorName(e)]));
    return rows.map((b) => {
      const mayKnow = viewer.effectorId === b.effector_id || (!viewer.effectorId && (viewer.organisation === null || viewer.organisation.id === b.organisation));
      return {
        id: b.id,
        slotId: b.slot_id,
        effectorId: b.effector_id,
        effectorName: names.get(b.effector_id) ?? b.effector_id,
        surnombre: b.surnombre,
        at: Number(b.at),
        state: b.state,
        heldUntil: b.held_until === null ? null : Number(b.held_until),
        bookedBy: b.booked_by_name,
        organisation: b.organisation,
        caseId: mayKnow ? b.case_id : null,
        reason: mayKnow ? b.reason : '',
        delay: b.delay,
        patient: mayKnow && b.patient ? JSON.parse(b.patient) : null,
        createdAt: Number(b.created_at),
      };
    });
  }

  /** An effector's own slots from `from` on (for their page). */
  async effectorSlots(tenant: string, effectorId: string, from: number): Promise<Slot[]> {
    const { rows } = await this.db.query<SlotRow>(
      `SELECT s.*, ${TAKEN_SQL.replace('$NOW', '$4')} AS taken FROM slots s WHERE s.tenant = $1 AND s.effector_id = $2 AND s.end_at > $3 ORDER BY s.start_at LIMIT 300`,
      [tenant, effectorId, from, this.now()],
    );
    return this.toSlots(tenant, rows);
  }

  // ---- figures of the offer ---------------------------------------------------------------------

  async offer(tenant: string, from: number, to: number, rules: IncentiveRules) {
    const dir = await this.directory(tenant);
    const tz = departmentTimeZone(await this.department(tenant));
    const now = this.now();
    const { rows } = await this.db.query<SlotRow & { taken: string }>(
      `SELECT s.*, ${TAKEN_SQL.replace('$NOW', '$4')} AS taken FROM slots s WHERE s.tenant = $1 AND s.start_at < $3 AND s.end_at > $2`,
      [tenant, Math.min(from, now), Math.max(to, now + 24 * 3600_000), now],
    );
    const all = rows.map((r) => ({
      effectorId: r.effector_id,
      start: Number(r.start_at),
      end: Number(r.end_at),
      capacity: r.capacity,
      modality: r.modality,
      sectors: r.sectors,
      cancelled: r.cancelled,
      left: r.cancelled ? 0 : Math.max(0, r.capacity - Number(r.taken)),
    }));
    const inPeriod = all.filter((s) => s.start < to && s.end > from);
    const { rows: b } = await this.db.query<{ effector_id: string; state: BookingState; surnombre: boolean; at: string; created_at: string; case_data: string | null; sectors: string[] | null }>(
      `SELECT b.effector_id, b.state, b.surnombre, b.at, b.created_at, c.data AS case_data, s.sectors
         FROM slot_bookings b
         LEFT JOIN cases c ON c.tenant = b.tenant AND c.id = b.case_id
         LEFT JOIN slots s ON s.tenant = b.tenant AND s.id = b.slot_id
        WHERE b.tenant = $1 AND b.at >= $2 AND b.at < $3`,
      [tenant, from, to],
    );
    const weeks = Math.max(1, (to - from) / (7 * 24 * 3600_000));
    const hours = hoursOffered(inPeriod, from, to);
    const perDoctor = dir.effectors
      .filter((e) => e.participation.agenda || hours.has(e.id) || b.some((x) => x.effector_id === e.id))
      .map((e) => {
        const mine = b.filter((x) => x.effector_id === e.id);
        const count = (st: BookingState) => mine.filter((x) => x.state === st).length;
        const h = hours.get(e.id) ?? 0;
        return {
          effectorId: e.id,
          name: effectorName(e),
          sectors: e.sectors,
          slotsPublished: inPeriod.filter((s) => s.effectorId === e.id && !s.cancelled).length,
          booked: count('booked') + count('fulfilled') + count('no_show'),
          fulfilled: count('fulfilled'),
          noShow: count('no_show'),
          surnombre: mine.filter((x) => x.surnombre && x.state !== 'cancelled').length,
          hoursPerWeek: Math.round((h / weeks) * 10) / 10,
          meetsSasThreshold: h / weeks >= 2,
        };
      });
    const perSector = dir.sectors.map((s) => {
      const slots = inPeriod.filter((x) => x.sectors.includes(s.code) && !x.cancelled);
      const bookings = b.filter((x) => (x.sectors ?? dir.effectors.find((e) => e.id === x.effector_id)?.sectors ?? []).includes(s.code));
      return {
        sectorCode: s.code,
        name: s.name,
        slots: slots.length,
        hours: Math.round(slots.reduce((n, x) => n + (x.end - x.start) / 3600_000, 0) * 10) / 10,
        booked: bookings.filter((x) => x.state !== 'cancelled' && x.state !== 'held').length,
        fulfilled: bookings.filter((x) => x.state === 'fulfilled').length,
        noShow: bookings.filter((x) => x.state === 'no_show').length,
      };
    });
    const acts: Act[] = b.map((x) => {
      const c = x.case_data ? (JSON.parse(x.case_data) as RegulationCase) : null;
      return { effectorId: x.effector_id, at: Number(x.at), requestedAt: Number(x.created_at), fulfilled: x.state === 'fulfilled', ownPatient: c?.fields.treatingDoctor?.id === x.effector_id };
    });
    const names = new Map(dir.effectors.map((e) => [e.id, effectorName(e)]));
    return {
      from,
      to,
      heatmap: heatmap(inPeriod, tz),
      perDoctor,
      perSector,
      sectorsWithoutSlotNext24h: sectorsWithoutSlot(dir.sectors.map((s) => s.code), all, now, now + 24 * 3600_000),
      incentives: incentiveCounts(acts, rules, tz).map((c) => ({ ...c, name: names.get(c.effectorId) ?? c.effectorId })),
    };
  }
}

export type OfferFigures = Awaited<ReturnType<Agenda['offer']>>;
export type { Effector };
