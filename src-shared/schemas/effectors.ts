/**
 * Effector doctors (the professionals who see the patient after regulation) as part of the duty
 * directory, their availability profile, the requests the regulation sends them (notification
 * cascade) and the outcome they record. What a doctor who has not accepted a request receives is
 * `EffectorRequestOffer`: it has no field for the patient's name, phone or address.
 */
import { z } from 'zod';
import { DELAY_CODES, SEXES } from '../domain/codes.js';
import { isAdeli, isFiness, isRpps, isSiret } from '../domain/identifiers.js';
import { EpochMsSchema, IdSchema, InseeCodeSchema, shortText } from './primitives.js';
import { BookingSchema, SlotSchema } from './slots.js';

const CanonicalPhoneSchema = z.string().regex(/^\+\d{8,15}$/, 'numéro de téléphone invalide');
export const RppsSchema = z.string().refine(isRpps, 'RPPS invalide (11 chiffres dont une clé de contrôle)');
export const AdeliSchema = z.string().refine(isAdeli, 'ADELI invalide (9 caractères)');

export const PLACE_KINDS = ['cabinet', 'msp', 'cds', 'sos', 'mmg'] as const;
export type PlaceKind = (typeof PLACE_KINDS)[number];
export const PLACE_KIND_LABELS: Record<PlaceKind, string> = {
  cabinet: 'Cabinet',
  msp: 'Maison de santé (MSP)',
  cds: 'Centre de santé',
  sos: 'Point de consultation SOS Médecins',
  mmg: 'Maison médicale de garde',
};

export const STRUCTURE_KINDS = ['CPTS', 'MSP', 'CDS', 'SOS'] as const;
export const STRUCTURE_KIND_LABELS: Record<(typeof STRUCTURE_KINDS)[number], string> = {
  CPTS: 'CPTS',
  MSP: 'Maison de santé pluriprofessionnelle',
  CDS: 'Centre de santé',
  SOS: 'Association SOS Médecins',
};

/** Professions (NOS TRE_G15) that take part in unscheduled care. */
export const PROFESSIONS = { '10': 'Médecin', '60': 'Infirmier', '50': 'Sage-femme', '40': 'Chirurgien-dentiste', '70': 'Masseur-kinésithérapeute' } as const;
export type ProfessionCode = keyof typeof PROFESSIONS;

export const PlaceSchema = z.strictObject({
  /** Short code, unique for the effector (a doctor may practise in several places). */
  id: z.string().regex(/^[A-Za-z0-9-]{1,30}$/, 'code du lieu : lettres, chiffres ou tirets'),
  kind: z.enum(PLACE_KINDS),
  name: shortText(150).min(1, 'nom du lieu requis'),
  address: shortText(300).min(1, 'adresse du lieu requise'),
  inseeCode: InseeCodeSchema,
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});
export type Place = z.infer<typeof PlaceSchema>;

export const ParticipationSchema = z.strictObject({
  /** Receives the regulation's requests (notification cascade). */
  cascade: z.boolean(),
  /** Publishes slots in the shared agenda. */
  agenda: z.boolean(),
  /** On the sector's on-call rota (PDSA). */
  onCallRota: z.boolean(),
  /** Accepts patients beyond published slots (surnombre). */
  surnombre: z.boolean(),
  visits: z.boolean(),
  consultations: z.boolean(),
});
export type Participation = z.infer<typeof ParticipationSchema>;

export const EffectorSchema = z
  .strictObject({
    /** The RPPS, or the ADELI number when the professional has no RPPS. */
    id: z.string().min(9).max(11),
    rpps: RppsSchema.optional(),
    adeli: AdeliSchema.optional(),
    lastName: shortText(100).min(1, 'nom requis'),
    firstName: shortText(100).min(1, 'prénom requis'),
    profession: z.enum(Object.keys(PROFESSIONS) as [ProfessionCode, ...ProfessionCode[]]),
    /** NOS TRE_R38 code (SM54 = médecine générale) or free text. */
    specialty: shortText(100).min(1),
    phone: CanonicalPhoneSchema,
    /** PDSA sectors served (codes of the directory's sectors). */
    sectors: z.array(z.string().min(1).max(20)).min(1, 'au moins un secteur'),
    /** Structures (ids) the effector takes part through. */
    structures: z.array(z.string().max(14)).max(20),
    places: z.array(PlaceSchema).min(1, 'au moins un lieu d’exercice').max(10),
    participation: ParticipationSchema,
  })
  .refine((e) => (e.rpps ? !e.adeli : !!e.adeli), { message: 'RPPS, ou ADELI seulement sans RPPS', path: ['rpps'] })
  .refine((e) => e.id === (e.rpps ?? e.adeli), { message: 'identifiant = RPPS (ou ADELI)', path: ['id'] })
  .refine((e) => new Set(e.places.map((p) => p.id)).size === e.places.length, { message: 'codes de lieu en double', path: ['places'] });
export type Effector = z.infer<typeof EffectorSchema>;

export const StructureSchema = z
  .strictObject({
    /** FINESS, else SIRET. */
    id: z.string().min(9).max(14),
    finess: z.string().refine(isFiness, 'FINESS invalide').optional(),
    siret: z.string().refine(isSiret, 'SIRET invalide (14 chiffres dont une clé)').optional(),
    kind: z.enum(STRUCTURE_KINDS),
    name: shortText(150).min(1, 'nom requis'),
    inseeCode: InseeCodeSchema,
  })
  .refine((s) => !!(s.finess || s.siret), { message: 'FINESS ou SIRET requis', path: ['finess'] })
  .refine((s) => s.id === (s.finess ?? s.siret), { message: 'identifiant = FINESS (ou SIRET)', path: ['id'] });
export type Structure = z.infer<typeof StructureSchema>;

export const effectorName = (e: Pick<Effector, 'firstName' | 'lastName' | 'profession'>): string =>
  `${e.profession === '10' ? 'Dr ' : ''}${e.firstName} ${e.lastName.toUpperCase()}`;

// ---- availability ---------------------------------------------------------------------------

export const UnavailabilitySchema = z
  .strictObject({
    id: IdSchema,
    from: EpochMsSchema,
    /** null: until the doctor says otherwise. */
    to: EpochMsSchema.nullable(),
    /** null: every place (and visits). */
    placeId: z.string().max(30).nullable(),
  })
  .refine((u) => u.to === null || u.to > u.from, { message: 'la fin doit suivre le début', path: ['to'] });
export type Unavailability = z.infer<typeof UnavailabilitySchema>;

export const AvailabilityProfileSchema = z.strictObject({
  effectorId: z.string().min(9).max(11),
  visits: z.boolean(),
  consultations: z.boolean(),
  unavailable: z.array(UnavailabilitySchema).max(100),
  updatedAt: EpochMsSchema,
});
export type AvailabilityProfile = z.infer<typeof AvailabilityProfileSchema>;

/** What a doctor changes on the page (the server stamps the time and the ids). */
export const AvailabilityUpdateSchema = z.strictObject({
  visits: z.boolean(),
  consultations: z.boolean(),
});
export const UNAVAILABILITY_PRESETS = ['24h', 'week', 'range', 'indefinite'] as const;
export const UnavailabilityRequestSchema = z.discriminatedUnion('preset', [
  z.strictObject({ preset: z.literal('24h'), placeId: z.string().max(30).nullable() }),
  z.strictObject({ preset: z.literal('week'), placeId: z.string().max(30).nullable() }),
  z.strictObject({ preset: z.literal('indefinite'), placeId: z.string().max(30).nullable() }),
  z.strictObject({ preset: z.literal('range'), placeId: z.string().max(30).nullable(), from: EpochMsSchema, to: EpochMsSchema }),
]);
export type UnavailabilityRequest = z.infer<typeof UnavailabilityRequestSchema>;

// ---- requests (notification cascade) --------------------------------------------------------

export const NEEDS = ['consultation', 'visit'] as const;
export type Need = (typeof NEEDS)[number];
export const NEED_LABELS: Record<Need, string> = { consultation: 'Consultation', visit: 'Visite à domicile' };

export { DELAY_CODES, DELAY_LABELS, type DelayCode } from '../domain/codes.js';

export const AGE_BANDS = ['0-1', '2-5', '6-15', '16-29', '30-44', '45-59', '60-74', '75+', 'inconnu'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export const REQUEST_STATES = ['open', 'accepted', 'unanswered', 'cancelled'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const StartRequestSchema = z.strictObject({
  caseId: IdSchema,
  need: z.enum(NEEDS),
  delay: z.enum(DELAY_CODES),
});
export type StartRequest = z.infer<typeof StartRequestSchema>;

/** The request as a doctor who was asked sees it: no identity, no number, no address. */
export const EffectorRequestOfferSchema = z.strictObject({
  id: IdSchema,
  need: z.enum(NEEDS),
  delay: z.enum(DELAY_CODES),
  ageBand: z.enum(AGE_BANDS),
  sex: z.enum(SEXES),
  reason: z.string(),
  communeName: z.string(),
  inseeCode: z.string().nullable(),
  sentAt: EpochMsSchema,
  /** You are the patient's treating doctor (asked first). */
  asTreatingDoctor: z.boolean(),
  /** open: you may accept; yours: you accepted; withdrawn: someone else did, or the regulation cancelled it. */
  status: z.enum(['open', 'yours', 'withdrawn', 'declined']),
  /** The appointment the regulator confirmed (only on a request you accepted). */
  appointment: z.strictObject({ at: EpochMsSchema, place: z.string() }).nullable(),
});
export type EffectorRequestOffer = z.infer<typeof EffectorRequestOfferSchema>;

/** What only the accepting doctor receives, on demand (never pushed). */
export const AcceptedPatientSchema = z.strictObject({
  requestId: IdSchema,
  caseReference: z.string(),
  patientName: z.string(),
  ageYears: z.number().int().nullable(),
  birthDate: z.string().nullable(),
  callbackPhone: z.string().nullable(),
  address: z.string().nullable(),
  communeName: z.string().nullable(),
  accessNotes: z.string().nullable(),
  reason: z.string(),
  appointment: z.strictObject({ at: EpochMsSchema, place: z.string() }).nullable(),
});
export type AcceptedPatient = z.infer<typeof AcceptedPatientSchema>;

export const OUTCOMES = ['seen', 'no_show'] as const;
export const OutcomeSchema = z.strictObject({
  outcome: z.enum(OUTCOMES),
  summary: shortText(4000),
  prescription: shortText(4000),
  testsRequested: shortText(2000),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

/** The regulation's view of a request: who was asked, when, who answered. */
export const RequestRecipientSchema = z.strictObject({
  effectorId: z.string(),
  name: z.string(),
  tier: z.number().int().nonnegative(),
  notifiedAt: EpochMsSchema.nullable(),
  answer: z.enum(['accepted', 'declined']).nullable(),
  answeredAt: EpochMsSchema.nullable(),
});
export const EffectorRequestSchema = z.strictObject({
  id: IdSchema,
  caseId: IdSchema,
  need: z.enum(NEEDS),
  delay: z.enum(DELAY_CODES),
  state: z.enum(REQUEST_STATES),
  sentAt: EpochMsSchema,
  sentBy: z.string(),
  /** The tier being asked (0: the treating doctor; then the sector; then further out). */
  tier: z.number().int().nonnegative(),
  tierLabels: z.array(z.string()),
  nextTierAt: EpochMsSchema.nullable(),
  recipients: z.array(RequestRecipientSchema),
  acceptedBy: z.strictObject({ effectorId: z.string(), name: z.string(), phone: z.string(), at: EpochMsSchema }).nullable(),
  outcome: OutcomeSchema.extend({ at: EpochMsSchema }).nullable(),
  treatingDoctorInformed: z.boolean(),
});
export type EffectorRequest = z.infer<typeof EffectorRequestSchema>;

export const TreatingNoticeSchema = z.strictObject({ requestId: IdSchema, at: EpochMsSchema, text: z.string() });
export const TreatingReportSchema = z.strictObject({
  requestId: IdSchema,
  at: EpochMsSchema,
  patientName: z.string(),
  effectorName: z.string(),
  outcome: OutcomeSchema,
});
export type TreatingReport = z.infer<typeof TreatingReportSchema>;

/** Everything the effector's page shows, pushed after every change that concerns the doctor. */
export const EffectorPageStateSchema = z.strictObject({
  effector: z.strictObject({
    id: z.string(),
    name: z.string(),
    places: z.array(z.strictObject({ id: z.string(), name: z.string() })),
  }),
  offers: z.array(EffectorRequestOfferSchema),
  notices: z.array(TreatingNoticeSchema),
  reports: z.array(TreatingReportSchema),
  profile: AvailabilityProfileSchema,
  /** The doctor's own slots to come, and their bookings (with the patient: the booked effector may know). */
  slots: z.array(SlotSchema),
  bookings: z.array(BookingSchema),
});
export type EffectorPageState = z.infer<typeof EffectorPageStateSchema>;

export const EffectorWsFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('state'), state: EffectorPageStateSchema }),
  /** One request's new view (a new request, or one that changed): replaces it in the page's list. */
  z.strictObject({ type: z.literal('offer'), offer: EffectorRequestOfferSchema }),
  z.strictObject({ type: z.literal('bye'), reason: z.string() }),
]);
export type EffectorWsFrame = z.infer<typeof EffectorWsFrameSchema>;

export const EffectorLoginSchema = z.strictObject({
  tenant: z.string().regex(/^[a-z0-9-]{1,40}$/),
  login: z.string().trim().min(9).max(11),
  password: z.string().min(1).max(200),
});

export const CascadeSettingsSchema = z.strictObject({
  treatingDoctorMs: z.number().int().min(0).max(24 * 3600_000),
  tierMs: z.number().int().min(1000).max(24 * 3600_000),
});
