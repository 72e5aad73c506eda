/**
 * Requests of the regulation to effector doctors (the notification cascade), their availability
 * profiles and their outcomes. The cascade's rules are the pure state machine of
 * src-shared/domain/cascade.ts; this service persists its state, runs its deadlines on timers
 * (re-armed from the database after a restart), serialises answers per request with a row lock
 * (ten doctors accepting in the same millisecond: one winner), and says who must be told.
 *
 * Privacy: what goes to doctors who were asked is built by `offerOf` from coded fields only (age
 * band, sex, coded reason, commune); the identity is read from the case only for the doctor who
 * accepted, on demand.
 */
import { randomUUID } from 'node:crypto';
import { advance, accept, cancel, decline, nextDeadline, planTiers, startCascade, DEFAULT_CASCADE_SETTINGS, type CascadeSettings, type CascadeState } from '../../src-shared/domain/cascade.js';
import { seedOf, unavailabilityRange } from '../../src-shared/domain/effector-availability.js';
import { REASONS } from '../../src-shared/domain/codes.js';
import { DEFAULT_IDENTITY_HOURS, identityAccessEnded } from '../../src-shared/domain/effector-identity.js';
import { directoryFromRows, type Directory, type DirectoryKind } from '../../src-shared/schemas/directory.js';
import {
  effectorName,
  type AcceptedPatient,
  type AgeBand,
  type AvailabilityProfile,
  type EffectorRequest,
  type EffectorRequestOffer,
  type Outcome,
  type StartRequest,
  type UnavailabilityRequest,
} from '../../src-shared/schemas/effectors.js';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import type { SqlDatabase, Queryable } from '../db/sql.js';
import { ApiError } from '../http/errors.js';

interface RequestRow {
  id: string;
  case_id: string;
  need: EffectorRequest['need'];
  delay: EffectorRequest['delay'];
  state: EffectorRequest['state'];
  sent_at: string | number;
  sent_by: string;
  sent_by_name: string;
  offer: string;
  cascade: string;
  treating_doctor_id: string | null;
  accepted_by: string | null;
  accepted_at: string | number | null;
  treating_informed: boolean;
}

/** The anonymous part of a request, fixed when it is sent. */
interface OfferCore {
  need: EffectorRequestOffer['need'];
  delay: EffectorRequestOffer['delay'];
  ageBand: AgeBand;
  sex: EffectorRequestOffer['sex'];
  reason: string;
  communeName: string;
  inseeCode: string | null;
  sentAt: number;
}

export interface TreatingNotice {
  requestId: string;
  at: number;
  text: string;
}
export interface TreatingReport {
  requestId: string;
  at: number;
  patientName: string;
  effectorName: string;
  outcome: Outcome;
}

/** Who must hear about a change: the doctors concerned and the center's regulators. */
export interface Changes {
  tenant: string;
  effectorIds: string[];
  regulators: boolean;
  /** The change is one request's: those doctors need only that request's new view (one frame each). */
  requestId?: string;
}

/** Age in whole years, from the age given or the birth date. */
export function ageYearsOf(c: RegulationCase, at: number): number | undefined {
  const p = c.fields.patient;
  if (p?.ageYears !== undefined || !p?.birthDate) return p?.ageYears;
  const b = new Date(p.birthDate);
  const now = new Date(at);
  return now.getUTCFullYear() - b.getUTCFullYear() - (now.getUTCMonth() < b.getUTCMonth() || (now.getUTCMonth() === b.getUTCMonth() && now.getUTCDate() < b.getUTCDate()) ? 1 : 0);
}

export function ageBandOf(c: RegulationCase, at: number): AgeBand {
  const age = ageYearsOf(c, at);
  if (age === undefined) return 'inconnu';
  if (age < 2) return '0-1';
  if (age < 6) return '2-5';
  if (age < 16) return '6-15';
  if (age < 30) return '16-29';
  if (age < 45) return '30-44';
  if (age < 60) return '45-59';
  if (age < 75) return '60-74';
  return '75+';
}

/** Only coded fields: never the name, the number, the address or the free-text reason. */
export function offerOf(c: RegulationCase, input: StartRequest, at: number): OfferCore {
  return {
    need: input.need,
    delay: input.delay,
    ageBand: ageBandOf(c, at),
    sex: c.fields.patient?.sex ?? 'U',
    reason: c.fields.reasonCode ? REASONS[c.fields.reasonCode].label : 'Motif non codé',
    communeName: c.fields.location?.communeName ?? 'Commune non précisée',
    inseeCode: c.fields.location?.inseeCode ?? null,
    sentAt: at,
  };
}

export class EffectorRequests {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly directories = new Map<string, { key: string; directory: Directory }>();
  /** Profiles per center, kept until this process changes one (it is their only writer). */
  private readonly profileCache = new Map<string, AvailabilityProfile[]>();
  private closed = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
    /** Called after every committed change, to push the new views. */
    private readonly onChange: (changes: Changes) => void,
    /** Where a deadline that could not be run is said (never swallowed). */
    private readonly report: (level: 'warn' | 'error', message: string, data: Record<string, unknown>) => void = () => {},
    /** How long after the visit the accepting doctor still reads the patient's identity. */
    private readonly identityHours = DEFAULT_IDENTITY_HOURS,
  ) {}

  // ---- directory and settings ---------------------------------------------------------------

  /**
   * The center's sectors, structures and effectors. Parsed once per directory version: a region's
   * 2,000 effectors are a megabyte and a half of JSON, and a search or a fan-out needs them at once.
   */
  async directory(tenant: string, q: Queryable = this.db): Promise<Directory> {
    const { rows: versions } = await q.query<{ kind: DirectoryKind; version: string | number }>(
      "SELECT kind, version FROM directories WHERE tenant = $1 AND kind IN ('sectors', 'effectors', 'structures') ORDER BY kind",
      [tenant],
    );
    const key = versions.map((v) => `${v.kind}:${v.version}`).join(',');
    const cached = this.directories.get(tenant);
    if (cached && cached.key === key) return cached.directory;
    const { rows } = await q.query<{ kind: DirectoryKind; version: number; data: string }>(
      "SELECT kind, version, data FROM directories WHERE tenant = $1 AND kind IN ('sectors', 'effectors', 'structures')",
      [tenant],
    );
    const directory = directoryFromRows(rows);
    this.directories.set(tenant, { key, directory });
    return directory;
  }

  async settings(tenant: string): Promise<CascadeSettings> {
    const { rows } = await this.db.query<{ treating_doctor_ms: number; tier_ms: number }>('SELECT treating_doctor_ms, tier_ms FROM cascade_settings WHERE tenant = $1', [tenant]);
    return rows[0] ? { treatingDoctorMs: Number(rows[0].treating_doctor_ms), tierMs: Number(rows[0].tier_ms) } : DEFAULT_CASCADE_SETTINGS;
  }

  async setSettings(tenant: string, s: CascadeSettings, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO cascade_settings (tenant, treating_doctor_ms, tier_ms, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant) DO UPDATE SET treating_doctor_ms = EXCLUDED.treating_doctor_ms, tier_ms = EXCLUDED.tier_ms,
         updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
      [tenant, s.treatingDoctorMs, s.tierMs, this.now(), by],
    );
  }

  // ---- availability -------------------------------------------------------------------------

  async profiles(tenant: string): Promise<AvailabilityProfile[]> {
    const cached = this.profileCache.get(tenant);
    if (cached) return cached;
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM effector_availability WHERE tenant = $1 ORDER BY effector_id', [tenant]);
    const profiles = rows.map((r) => JSON.parse(r.data) as AvailabilityProfile);
    this.profileCache.set(tenant, profiles);
    return profiles;
  }

  async profile(tenant: string, effectorId: string): Promise<AvailabilityProfile> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM effector_availability WHERE tenant = $1 AND effector_id = $2', [tenant, effectorId]);
    return rows[0] ? (JSON.parse(rows[0].data) as AvailabilityProfile) : { effectorId, visits: true, consultations: true, unavailable: [], updatedAt: 0 };
  }

  private async saveProfile(tenant: string, p: AvailabilityProfile, by: string): Promise<AvailabilityProfile> {
    const data = JSON.stringify(p);
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO effector_availability (tenant, effector_id, data, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, effector_id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
        [tenant, p.effectorId, data, p.updatedAt],
      );
      await tx.query('INSERT INTO effector_availability_log (tenant, effector_id, at, changed_by, data) VALUES ($1, $2, $3, $4, $5)', [tenant, p.effectorId, p.updatedAt, by, data]);
    });
    this.profileCache.delete(tenant);
    this.onChange({ tenant, effectorIds: [p.effectorId], regulators: true });
    return p;
  }

  async setModes(tenant: string, effectorId: string, modes: { visits: boolean; consultations: boolean }, by: string): Promise<AvailabilityProfile> {
    const p = await this.profile(tenant, effectorId);
    return this.saveProfile(tenant, { ...p, ...modes, updatedAt: this.now() }, by);
  }

  async addUnavailability(tenant: string, effectorId: string, req: UnavailabilityRequest, by: string): Promise<AvailabilityProfile> {
    const at = this.now();
    const dir = await this.directory(tenant);
    const effector = dir.effectors.find((e) => e.id === effectorId);
    if (!effector) throw new ApiError(404, 'not_found', 'Professionnel absent de l’annuaire.');
    if (req.placeId !== null && !effector.places.some((p) => p.id === req.placeId)) throw new ApiError(400, 'invalid_input', `Lieu inconnu : ${req.placeId}.`);
    const range = unavailabilityRange(req, at);
    if (range.to !== null && range.to <= range.from) throw new ApiError(400, 'invalid_input', 'La fin de l’indisponibilité doit suivre son début.');
    if (range.to !== null && range.to <= at) throw new ApiError(400, 'invalid_input', 'Cette période est déjà passée.');
    const p = await this.profile(tenant, effectorId);
    // Periods already over are dropped: the profile came back by itself at their end.
    const unavailable = [...p.unavailable.filter((u) => u.to === null || u.to > at), { id: randomUUID(), ...range, placeId: req.placeId }];
    if (unavailable.length > 100) throw new ApiError(400, 'invalid_input', 'Trop de périodes d’indisponibilité.');
    return this.saveProfile(tenant, { ...p, unavailable, updatedAt: at }, by);
  }

  async removeUnavailability(tenant: string, effectorId: string, id: string, by: string): Promise<AvailabilityProfile> {
    const p = await this.profile(tenant, effectorId);
    if (!p.unavailable.some((u) => u.id === id)) throw new ApiError(404, 'not_found', 'Période introuvable.');
    return this.saveProfile(tenant, { ...p, unavailable: p.unavailable.filter((u) => u.id !== id), updatedAt: this.now() }, by);
  }

  // ---- requests -----------------------------------------------------------------------------

  private async readCase(q: Queryable, tenant: string, caseId: string): Promise<RegulationCase | undefined> {
    const { rows } = await q.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = $2', [tenant, caseId]);
    return rows[0] ? (JSON.parse(rows[0].data) as RegulationCase) : undefined;
  }

  private log(q: Queryable, tenant: string, requestId: string, kind: string, actor: string, effectorId: string | null = null, detail: unknown = null) {
    return q.query('INSERT INTO effector_request_log (tenant, request_id, at, kind, effector_id, actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      tenant,
      requestId,
      this.now(),
      kind,
      effectorId,
      actor,
      detail === null ? null : JSON.stringify(detail),
    ]);
  }

  async start(tenant: string, actor: { userId: string; displayName: string }, input: StartRequest): Promise<EffectorRequest> {
    const at = this.now();
    const c = await this.readCase(this.db, tenant, input.caseId);
    if (!c) throw new ApiError(404, 'not_found', 'Dossier inconnu du serveur (pas encore synchronisé ?).');
    if (['closed', 'cancelled', 'transferred_samu'].includes(c.status)) throw new ApiError(409, 'invalid_transition', 'Dossier clos : pas de sollicitation.');
    const dir = await this.directory(tenant);
    const profiles = new Map((await this.profiles(tenant)).map((p) => [p.effectorId, p]));
    const id = randomUUID();
    const sectorCode = c.fields.location?.sectorId;
    const treatingId = c.fields.treatingDoctor?.id;
    const tiers = planTiers({
      effectors: dir.effectors,
      profiles,
      sectors: dir.sectors,
      need: input.need,
      at,
      seed: seedOf(id),
      ...(sectorCode ? { sectorCode } : {}),
      ...(treatingId ? { treatingDoctorId: treatingId } : {}),
    });
    const state = startCascade(tiers, at, await this.settings(tenant));
    const offer = offerOf(c, input, at);
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO effector_requests (tenant, id, case_id, need, delay, state, sent_at, sent_by, sent_by_name, offer, cascade, treating_doctor_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [tenant, id, c.id, input.need, input.delay, state.state, at, actor.userId, actor.displayName, JSON.stringify(offer), JSON.stringify(state), treatingId ?? null],
        );
        await this.log(tx, tenant, id, 'sent', actor.userId, null, { tiers: tiers.map((t) => ({ label: t.label, effectorIds: t.effectorIds })) });
        if (state.state === 'unanswered') await this.log(tx, tenant, id, 'unanswered', 'system');
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ApiError(409, 'conflict', 'Une sollicitation est déjà en cours pour ce dossier.');
      throw error;
    }
    this.schedule(tenant, id, state);
    this.onChange({ tenant, effectorIds: Object.keys(state.notifiedAt), regulators: true, requestId: id });
    return (await this.regulatorViews(tenant, [id]))[0]!;
  }

  /** Apply a change to one request under its row lock; returns what the caller's function returned. */
  private async mutate<T>(
    tenant: string,
    id: string,
    fn: (row: RequestRow, state: CascadeState, tx: Queryable) => Promise<{ state: CascadeState; result: T; extra?: Partial<Record<'accepted_by' | 'accepted_at' | 'treating_informed', unknown>> }>,
  ): Promise<T> {
    let before: CascadeState | undefined;
    let after: CascadeState | undefined;
    const result = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<RequestRow>('SELECT * FROM effector_requests WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, id]);
      const row = rows[0];
      if (!row) throw new ApiError(404, 'not_found', 'Sollicitation introuvable.');
      before = JSON.parse(row.cascade) as CascadeState;
      const out = await fn(row, before, tx);
      after = out.state;
      // Tiers opened by the clock on the way are written to the trace too.
      for (let t = before.tier + 1; t <= after.tier; t++) await this.log(tx, tenant, id, 'tier_opened', 'system', null, { tier: t, label: after.tiers[t]!.label });
      if (after.state === 'unanswered' && before.state !== 'unanswered') await this.log(tx, tenant, id, 'unanswered', 'system');
      const extra = out.extra ?? {};
      await tx.query(
        `UPDATE effector_requests SET state = $3, cascade = $4,
           accepted_by = coalesce($5, accepted_by), accepted_at = coalesce($6, accepted_at), treating_informed = coalesce($7, treating_informed)
         WHERE tenant = $1 AND id = $2`,
        [tenant, id, after.state, JSON.stringify(after), extra.accepted_by ?? null, extra.accepted_at ?? null, extra.treating_informed ?? null],
      );
      return out.result;
    });
    this.schedule(tenant, id, after!);
    const touched = new Set([...Object.keys(before!.notifiedAt), ...Object.keys(after!.notifiedAt)]);
    this.onChange({ tenant, effectorIds: [...touched], regulators: true, requestId: id });
    // The doctor who accepted (and the treating doctor told of it) get their whole page again.
    if (after!.acceptedBy && !before!.acceptedBy) this.onChange({ tenant, effectorIds: [after!.acceptedBy], regulators: false });
    return result;
  }

  private schedule(tenant: string, id: string, state: CascadeState): void {
    const key = `${tenant}/${id}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const due = nextDeadline(state);
    if (due === null || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.tick(tenant, id).catch((error: unknown) => {
        // The database is away: said, and run again by the next sweep (see startSweeping), which
        // reads overdue requests from the database whatever this process remembers.
        this.report('error', 'sollicitation des effecteurs : échéance non traitée, reprise au prochain passage', { tenant, requestId: id, error: (error as Error).message });
      });
    }, Math.max(0, due - this.now()));
    timer.unref?.();
    this.timers.set(key, timer);
  }

  /** A deadline passed: open the next tier (or end the request). */
  async tick(tenant: string, id: string): Promise<void> {
    await this.mutate(tenant, id, async (_row, state) => ({ state: advance(state, this.now()), result: undefined }));
  }

  private async openRequests(): Promise<{ tenant: string; id: string; cascade: string }[]> {
    return (await this.db.query<{ tenant: string; id: string; cascade: string }>("SELECT tenant, id, cascade FROM effector_requests WHERE state = 'open'")).rows;
  }

  /** After a restart: every open request's deadline is armed again (those passed run at once). */
  async resume(): Promise<number> {
    const rows = await this.openRequests();
    for (const r of rows) this.schedule(r.tenant, r.id, JSON.parse(r.cascade) as CascadeState);
    return rows.length;
  }

  /**
   * Overdue requests found from the database on a schedule: a deadline whose run failed (the
   * database was away at that moment) or whose timer this process lost is run at the next pass,
   * so the next tier always opens and the physician is always told.
   */
  async sweep(): Promise<number> {
    const now = this.now();
    const rows = await this.openRequests();
    let overdue = 0;
    for (const r of rows) {
      const due = nextDeadline(JSON.parse(r.cascade) as CascadeState);
      if (due === null || due > now) continue;
      overdue++;
      try {
        await this.tick(r.tenant, r.id);
      } catch (error) {
        this.report('error', 'sollicitation des effecteurs : échéance non traitée, reprise au prochain passage', { tenant: r.tenant, requestId: r.id, error: (error as Error).message });
      }
    }
    return overdue;
  }

  startSweeping(everyMs: number): void {
    clearInterval(this.sweeper);
    this.sweeper = setInterval(() => {
      if (this.closed) return;
      this.sweep().catch((error: unknown) => this.report('warn', 'sollicitation des effecteurs : base injoignable pendant la recherche des échéances', { error: (error as Error).message }));
    }, everyMs);
    this.sweeper.unref?.();
  }

  async answer(tenant: string, effectorId: string, id: string, answer: 'accept' | 'decline'): Promise<EffectorRequestOffer> {
    const informed = await this.mutate(tenant, id, async (row, state, tx) => {
      const at = this.now();
      const r = answer === 'accept' ? accept(state, effectorId, at) : decline(state, effectorId, at);
      if (!r.ok) {
        const messages = {
          closed: 'Cette demande n’est plus ouverte.',
          already_taken: 'Un confrère a déjà accepté cette demande.',
          not_asked: 'Cette demande ne vous est pas adressée.',
          already_answered: 'Vous avez déjà répondu.',
        } as const;
        throw new ApiError(r.error === 'not_asked' ? 403 : 409, r.error === 'already_taken' ? 'already_taken' : r.error === 'not_asked' ? 'forbidden' : 'conflict', messages[r.error]);
      }
      await this.log(tx, tenant, id, answer === 'accept' ? 'accepted' : 'declined', `effector:${effectorId}`, effectorId);
      const informTreating = answer === 'accept' && row.treating_doctor_id !== null && row.treating_doctor_id !== effectorId;
      if (informTreating) await this.log(tx, tenant, id, 'treating_doctor_informed', 'system', row.treating_doctor_id);
      return {
        state: r.value,
        result: informTreating ? row.treating_doctor_id : null,
        extra: answer === 'accept' ? { accepted_by: effectorId, accepted_at: at, ...(informTreating ? { treating_informed: true } : {}) } : {},
      };
    });
    // The treating doctor's page shows the notice that a colleague took the patient.
    if (informed) this.onChange({ tenant, effectorIds: [informed], regulators: false });
    const offers = await this.offersFor(tenant, effectorId);
    return offers.find((o) => o.id === id)!;
  }

  async cancel(tenant: string, actor: string, id: string): Promise<void> {
    await this.mutate(tenant, id, async (_row, state, tx) => {
      if (state.state !== 'open' && state.state !== 'unanswered') throw new ApiError(409, 'invalid_transition', 'Cette sollicitation n’est plus en cours.');
      await this.log(tx, tenant, id, 'cancelled', actor);
      return { state: cancel(state), result: undefined };
    });
  }

  async recordOutcome(tenant: string, effectorId: string, id: string, outcome: Outcome): Promise<void> {
    const { rows } = await this.db.query<{ accepted_by: string | null; treating_doctor_id: string | null }>('SELECT accepted_by, treating_doctor_id FROM effector_requests WHERE tenant = $1 AND id = $2', [tenant, id]);
    if (rows[0]?.accepted_by !== effectorId) throw new ApiError(403, 'forbidden', 'Seul le médecin qui a accepté la demande en rend compte.');
    try {
      await this.db.transaction(async (tx) => {
        await tx.query('INSERT INTO effector_outcomes (tenant, request_id, effector_id, data, at) VALUES ($1, $2, $3, $4, $5)', [tenant, id, effectorId, JSON.stringify(outcome), this.now()]);
        await this.log(tx, tenant, id, 'outcome', `effector:${effectorId}`, effectorId, { outcome: outcome.outcome });
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ApiError(409, 'conflict', 'Compte rendu déjà enregistré.');
      throw error;
    }
    this.onChange({ tenant, effectorIds: [effectorId, ...(rows[0]!.treating_doctor_id ? [rows[0]!.treating_doctor_id] : [])], regulators: true });
  }

  /** Case events committed by the writer: a decision naming a request concerns its effector. */
  onCaseEvents(tenant: string, events: readonly { kind: string; payload: unknown }[]): void {
    const ids = events.flatMap((e) => (e.kind === 'case.decided' ? [(e.payload as { decision?: { requestId?: string } }).decision?.requestId] : [])).filter((x): x is string => !!x);
    if (ids.length === 0) return;
    void this.db
      .query<{ accepted_by: string | null }>('SELECT accepted_by FROM effector_requests WHERE tenant = $1 AND id = ANY($2::uuid[])', [tenant, ids])
      .then(({ rows }) => {
        const effectorIds = rows.map((r) => r.accepted_by).filter((x): x is string => !!x);
        if (effectorIds.length) this.onChange({ tenant, effectorIds, regulators: false });
      })
      .catch(() => {});
  }

  // ---- views --------------------------------------------------------------------------------

  /** The requests a doctor was asked (last 24 h), as that doctor may see them. */
  async offersFor(tenant: string, effectorId: string): Promise<EffectorRequestOffer[]> {
    const since = this.now() - 24 * 3600_000;
    const { rows } = await this.db.query<RequestRow>(
      `SELECT * FROM effector_requests WHERE tenant = $1 AND sent_at >= $2 AND cascade::jsonb -> 'notifiedAt' ? $3 ORDER BY sent_at DESC LIMIT 100`,
      [tenant, since, effectorId],
    );
    // The appointment the regulator confirmed, for the requests this doctor accepted (time and place only).
    const mineIds = rows.filter((r) => r.accepted_by === effectorId).map((r) => r.case_id);
    const appointments = new Map<string, { at: number; place: string }>();
    if (mineIds.length) {
      const { rows: cases } = await this.db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = ANY($2::uuid[])', [tenant, mineIds]);
      for (const c of cases) {
        const d = (JSON.parse(c.data) as RegulationCase).decision;
        if (d?.requestId && d.appointmentAt) appointments.set(d.requestId, { at: d.appointmentAt, place: d.place ?? '' });
      }
    }
    return rows.map((r) => offerView(r, JSON.parse(r.cascade) as CascadeState, effectorId, appointments.get(r.id) ?? null));
  }

  /** One request as each of the given doctors sees it (a fan-out reads the request once). */
  async offerViews(tenant: string, requestId: string, effectorIds: readonly string[]): Promise<Map<string, EffectorRequestOffer>> {
    const { rows } = await this.db.query<RequestRow>('SELECT * FROM effector_requests WHERE tenant = $1 AND id = $2', [tenant, requestId]);
    const out = new Map<string, EffectorRequestOffer>();
    const row = rows[0];
    if (!row) return out;
    const state = JSON.parse(row.cascade) as CascadeState;
    for (const id of effectorIds) if (state.notifiedAt[id] !== undefined) out.set(id, offerView(row, state, id, null));
    return out;
  }

  /** Told to the treating doctor: a colleague took their patient (no identity in it). */
  async noticesFor(tenant: string, effectorId: string): Promise<TreatingNotice[]> {
    const { rows } = await this.db.query<RequestRow>(
      'SELECT * FROM effector_requests WHERE tenant = $1 AND treating_doctor_id = $2 AND treating_informed ORDER BY accepted_at DESC LIMIT 50',
      [tenant, effectorId],
    );
    const dir = await this.directory(tenant);
    return rows.map((r) => {
      const by = dir.effectors.find((e) => e.id === r.accepted_by);
      const core = JSON.parse(r.offer) as OfferCore;
      return {
        requestId: r.id,
        at: Number(r.accepted_at),
        text: `Un confrère (${by ? effectorName(by) : r.accepted_by}) a pris en charge un(e) de vos patient(e)s (${core.need === 'visit' ? 'visite' : 'consultation'}, ${core.communeName}).`,
      };
    });
  }

  /** Reports of colleagues about the treating doctor's patients, only where the patient consented. */
  async reportsFor(tenant: string, effectorId: string): Promise<TreatingReport[]> {
    const { rows } = await this.db.query<{ request_id: string; effector_id: string; data: string; at: number; case_data: string }>(
      `SELECT o.request_id, o.effector_id, o.data, o.at, c.data AS case_data
         FROM effector_outcomes o
         JOIN effector_requests r ON r.tenant = o.tenant AND r.id = o.request_id
         JOIN cases c ON c.tenant = r.tenant AND c.id = r.case_id
        WHERE o.tenant = $1 AND r.treating_doctor_id = $2 AND o.effector_id <> $2
        ORDER BY o.at DESC LIMIT 50`,
      [tenant, effectorId],
    );
    const dir = await this.directory(tenant);
    return rows
      .map((r) => ({ r, c: JSON.parse(r.case_data) as RegulationCase }))
      .filter(({ c }) => c.fields.reportConsent === true)
      .map(({ r, c }) => {
        const by = dir.effectors.find((e) => e.id === r.effector_id);
        return { requestId: r.request_id, at: Number(r.at), patientName: patientName(c), effectorName: by ? effectorName(by) : r.effector_id, outcome: JSON.parse(r.data) as Outcome };
      });
  }

  /** The identity and callback number, for the doctor who accepted only. */
  async patientFor(tenant: string, effectorId: string, id: string): Promise<AcceptedPatient> {
    const { rows } = await this.db.query<RequestRow>('SELECT * FROM effector_requests WHERE tenant = $1 AND id = $2', [tenant, id]);
    const row = rows[0];
    if (!row || row.accepted_by !== effectorId) throw new ApiError(403, 'forbidden', 'Identité réservée au médecin qui a accepté la demande.');
    const c = await this.readCase(this.db, tenant, row.case_id);
    if (!c) throw new ApiError(404, 'not_found', 'Dossier introuvable.');
    const ended = identityAccessEnded(c, id, Number(row.accepted_at ?? 0), this.now(), this.identityHours);
    if (ended) throw new ApiError(403, 'forbidden', ended);
    const p = c.fields.patient;
    const loc = c.fields.location;
    const d = c.decision;
    return {
      requestId: id,
      caseReference: c.reference,
      patientName: patientName(c),
      ageYears: ageYearsOf(c, this.now()) ?? null,
      birthDate: p?.birthDate ?? null,
      callbackPhone: c.fields.callbackPhone ?? null,
      address: loc?.address ?? null,
      communeName: loc?.communeName ?? null,
      accessNotes: loc?.accessNotes ?? null,
      reason: [c.fields.reasonCode ? REASONS[c.fields.reasonCode].label : null, c.fields.reasonText].filter(Boolean).join(' — ') || 'Non précisé',
      appointment: d?.requestId === id && d.appointmentAt ? { at: d.appointmentAt, place: d.place ?? d.effector ?? '' } : null,
    };
  }

  /** The center's requests of the last 24 h (and any still open), for regulators. */
  async regulatorViews(tenant: string, ids?: string[]): Promise<EffectorRequest[]> {
    const { rows } = ids
      ? await this.db.query<RequestRow>('SELECT * FROM effector_requests WHERE tenant = $1 AND id = ANY($2::uuid[])', [tenant, ids])
      : await this.db.query<RequestRow>("SELECT * FROM effector_requests WHERE tenant = $1 AND (sent_at >= $2 OR state = 'open') ORDER BY sent_at DESC LIMIT 200", [
          tenant,
          this.now() - 24 * 3600_000,
        ]);
    if (rows.length === 0) return [];
    const dir = await this.directory(tenant);
    const byId = new Map(dir.effectors.map((e) => [e.id, e]));
    const { rows: outcomes } = await this.db.query<{ request_id: string; data: string; at: number }>('SELECT request_id, data, at FROM effector_outcomes WHERE tenant = $1 AND request_id = ANY($2::uuid[])', [
      tenant,
      rows.map((r) => r.id),
    ]);
    const outcomeOf = new Map(outcomes.map((o) => [o.request_id, { ...(JSON.parse(o.data) as Outcome), at: Number(o.at) }]));
    return rows.map((r) => {
      const s = JSON.parse(r.cascade) as CascadeState;
      const name = (id: string) => (byId.get(id) ? effectorName(byId.get(id)!) : id);
      const recipients = s.tiers.flatMap((t, tier) =>
        t.effectorIds.map((id) => ({
          effectorId: id,
          name: name(id),
          tier,
          notifiedAt: s.notifiedAt[id] ?? null,
          answer: s.answers[id]?.answer ?? null,
          answeredAt: s.answers[id]?.at ?? null,
        })),
      );
      const winner = s.acceptedBy ? byId.get(s.acceptedBy) : undefined;
      return {
        id: r.id,
        caseId: r.case_id,
        need: r.need,
        delay: r.delay,
        state: r.state,
        sentAt: Number(r.sent_at),
        sentBy: r.sent_by_name,
        tier: s.tier,
        tierLabels: s.tiers.map((t) => t.label),
        nextTierAt: nextDeadline(s),
        recipients,
        acceptedBy: s.acceptedBy ? { effectorId: s.acceptedBy, name: name(s.acceptedBy), phone: winner?.phone ?? '', at: Number(r.accepted_at) } : null,
        outcome: outcomeOf.get(r.id) ?? null,
        treatingDoctorInformed: r.treating_informed,
      };
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

function offerView(r: RequestRow, state: CascadeState, effectorId: string, appointment: EffectorRequestOffer['appointment']): EffectorRequestOffer {
  const core = JSON.parse(r.offer) as OfferCore;
  const mine = state.acceptedBy === effectorId;
  const status: EffectorRequestOffer['status'] = mine ? 'yours' : state.answers[effectorId]?.answer === 'declined' ? 'declined' : state.state === 'open' ? 'open' : 'withdrawn';
  return { id: r.id, ...core, asTreatingDoctor: r.treating_doctor_id === effectorId, status, appointment: mine ? appointment : null };
}

function patientName(c: RegulationCase): string {
  const p = c.fields.patient;
  return [p?.firstName, p?.lastName?.toUpperCase()].filter(Boolean).join(' ') || 'Patient non nommé';
}
