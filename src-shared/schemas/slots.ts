/**
 * The shared agenda of unscheduled-care slots: what effectors publish (a single slot for one
 * patient, or a time range with a capacity), who may see and book them (partner organisations),
 * and bookings (held for a few minutes, then booked, then fulfilled / no-show / cancelled).
 * A surnombre booking has a free time and no slot.
 */
import { z } from 'zod';
import { EpochMsSchema, IdSchema, shortText } from './primitives.js';
import { DELAY_CODES } from '../domain/codes.js';

export const MODALITIES = ['cabinet', 'teleconsultation', 'home_visit'] as const;
export type Modality = (typeof MODALITIES)[number];
export const MODALITY_LABELS: Record<Modality, string> = { cabinet: 'Cabinet', teleconsultation: 'Téléconsultation', home_visit: 'Visite à domicile' };

/** NOS TRE_R314: public, professionals, regulators (SNP) only, one or more CPTS. */
export const VISIBILITIES = ['public', 'pro', 'snp', 'cpts'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const VISIBILITY_LABELS: Record<Visibility, string> = { public: 'Public', pro: 'Professionnels', snp: 'Régulation seulement', cpts: 'CPTS' };

export const PublishSlotsSchema = z
  .strictObject({
    kind: z.enum(['single', 'range']),
    start: EpochMsSchema,
    end: EpochMsSchema,
    /** 1 for a single slot. */
    capacity: z.number().int().min(1).max(50),
    modality: z.enum(MODALITIES),
    /** The place of practice (cabinet); null for a teleconsultation or a home visit. */
    placeId: z.string().max(30).nullable(),
    visibility: z.enum(VISIBILITIES),
    /** Structure ids of the CPTS that see a 'cpts' slot. */
    cpts: z.array(z.string().max(14)).max(10),
    /** Repeat every week on the same weekday and hours, this many more weeks (0 = once). */
    repeatWeeks: z.number().int().min(0).max(26),
  })
  .refine((s) => s.end > s.start, { message: 'la fin doit suivre le début', path: ['end'] })
  .refine((s) => s.end - s.start <= 12 * 3600_000, { message: 'douze heures au plus par créneau ou plage', path: ['end'] })
  .refine((s) => s.kind === 'range' || s.capacity === 1, { message: 'un créneau simple reçoit un patient', path: ['capacity'] })
  .refine((s) => s.visibility !== 'cpts' || s.cpts.length > 0, { message: 'choisissez au moins une CPTS', path: ['cpts'] })
  .refine((s) => s.modality !== 'cabinet' || s.placeId !== null, { message: 'un créneau au cabinet a un lieu', path: ['placeId'] });
export type PublishSlots = z.infer<typeof PublishSlotsSchema>;

export const SlotSchema = z.strictObject({
  id: IdSchema,
  effectorId: z.string(),
  effectorName: z.string(),
  kind: z.enum(['single', 'range']),
  start: EpochMsSchema,
  end: EpochMsSchema,
  capacity: z.number().int(),
  /** Places taken: bookings held (not expired), booked, fulfilled or no-show. */
  taken: z.number().int(),
  modality: z.enum(MODALITIES),
  placeId: z.string().nullable(),
  placeName: z.string().nullable(),
  address: z.string().nullable(),
  inseeCode: z.string().nullable(),
  sectors: z.array(z.string()),
  visibility: z.enum(VISIBILITIES),
  cancelled: z.boolean(),
  /** 0 patient's sector, 1 adjacent, 2 elsewhere (search results only). */
  nearness: z.number().int().min(0).max(2).optional(),
});
export type Slot = z.infer<typeof SlotSchema>;

export const BOOKING_STATES = ['held', 'booked', 'fulfilled', 'no_show', 'cancelled'] as const;
export type BookingState = (typeof BOOKING_STATES)[number];
export const BOOKING_STATE_LABELS: Record<BookingState, string> = {
  held: 'Option posée',
  booked: 'Réservé',
  fulfilled: 'Honoré',
  no_show: 'Patient absent',
  cancelled: 'Annulé',
};

export const BookingPatientSchema = z.strictObject({
  name: shortText(200).min(1, 'nom du patient requis'),
  phone: z.string().regex(/^\+\d{8,15}$/).nullable(),
  birthDate: z.iso.date().nullable(),
});

export const BookingSchema = z.strictObject({
  id: IdSchema,
  slotId: IdSchema.nullable(),
  effectorId: z.string(),
  effectorName: z.string(),
  /** Surnombre: beyond published slots, at a free time. */
  surnombre: z.boolean(),
  at: EpochMsSchema,
  state: z.enum(BOOKING_STATES),
  heldUntil: EpochMsSchema.nullable(),
  bookedBy: z.string(),
  organisation: z.string(),
  caseId: IdSchema.nullable(),
  reason: z.string(),
  delay: z.enum(DELAY_CODES),
  /** Shown only to the booked effector, the center's regulation and the booking's organisation. */
  patient: BookingPatientSchema.nullable(),
  createdAt: EpochMsSchema,
});
export type Booking = z.infer<typeof BookingSchema>;

export const SEARCH_WINDOWS = ['today', 'tomorrow', 'day_after', '24h', '48h'] as const;
export type SearchWindow = (typeof SEARCH_WINDOWS)[number];
export const SEARCH_WINDOW_LABELS: Record<SearchWindow, string> = {
  today: 'Aujourd’hui',
  tomorrow: 'Demain',
  day_after: 'Après-demain',
  '24h': '24 prochaines heures',
  '48h': '48 prochaines heures',
};

export const SlotSearchSchema = z.strictObject({
  /** The patient's commune (its sector comes from the directory) or a sector code. */
  inseeCode: z.string().regex(/^(\d{2}|2A|2B)\d{3}$/).optional(),
  sectorCode: z.string().min(1).max(20).optional(),
  modality: z.enum(MODALITIES).optional(),
  window: z.enum(SEARCH_WINDOWS),
  limit: z.number().int().min(1).max(100).default(30),
  /** Any text: the same seed gives the same order among equally near slots (e.g. the case id). */
  seed: z.string().max(100).optional(),
});
export type SlotSearch = z.infer<typeof SlotSearchSchema>;

export const HoldSchema = z.strictObject({ slotId: IdSchema });
export const ConfirmBookingSchema = z.strictObject({
  caseId: IdSchema.nullable(),
  reason: shortText(300).min(1, 'motif requis'),
  delay: z.enum(DELAY_CODES),
  patient: BookingPatientSchema,
});
export const SurnombreSchema = ConfirmBookingSchema.extend({ effectorId: z.string().min(9).max(11), at: EpochMsSchema });
export const BookingOutcomeSchema = z.strictObject({ state: z.enum(['fulfilled', 'no_show', 'cancelled']) });

/** A partner organisation and what it may see and book in the center's agenda. */
export const ORGANISATION_KINDS = ['liberal_regulation', 'samu_sas', 'tele_secretariat', 'emergency_department', 'cpts'] as const;
export const ORGANISATION_KIND_LABELS: Record<(typeof ORGANISATION_KINDS)[number], string> = {
  liberal_regulation: 'Régulation libérale',
  samu_sas: 'SAMU / SAS',
  tele_secretariat: 'Télésecrétariat',
  emergency_department: 'Service d’urgences',
  cpts: 'CPTS',
};
export const OrganisationSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  name: shortText(150).min(1),
  kind: z.enum(ORGANISATION_KINDS),
  /** Visibilities of slots it sees. */
  sees: z.array(z.enum(VISIBILITIES)).max(4),
  /** For 'cpts' slots: the CPTS (structure ids) whose slots it sees. */
  cpts: z.array(z.string().max(14)).max(20),
  canBook: z.boolean(),
});
export type Organisation = z.infer<typeof OrganisationSchema>;

const PerDoctorSchema = z.strictObject({
  effectorId: z.string(),
  name: z.string(),
  sectors: z.array(z.string()),
  slotsPublished: z.number().int(),
  booked: z.number().int(),
  fulfilled: z.number().int(),
  noShow: z.number().int(),
  surnombre: z.number().int(),
  hoursPerWeek: z.number(),
  meetsSasThreshold: z.boolean(),
});
/** What supervisors and CPTS coordinators follow the offer with. */
export const OfferFiguresSchema = z.strictObject({
  from: EpochMsSchema,
  to: EpochMsSchema,
  /** Hours offered per weekday (0 = Monday) and hour. */
  heatmap: z.array(z.array(z.number())),
  perDoctor: z.array(PerDoctorSchema),
  perSector: z.array(
    z.strictObject({ sectorCode: z.string(), name: z.string(), slots: z.number().int(), hours: z.number(), booked: z.number().int(), fulfilled: z.number().int(), noShow: z.number().int() }),
  ),
  sectorsWithoutSlotNext24h: z.array(z.string()),
  incentives: z.array(
    z.strictObject({
      effectorId: z.string(),
      name: z.string(),
      acts: z.number().int(),
      paid: z.number().int(),
      excludedOwnPatients: z.number().int(),
      excludedLate: z.number().int(),
      overCap: z.number().int(),
      amountCents: z.number().int(),
    }),
  ),
});
export type OfferFigures = z.infer<typeof OfferFiguresSchema>;
