/**
 * Codified lists used by the regulation case. Codes are stable identifiers (never shown);
 * labels are French (shown). The Hub Santé mapping hints follow ../shared/docs/hubsante.md.
 */

export const ROLES = ['arm', 'physician', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/**
 * Who may author a case event: the users' roles, plus the Hub Santé link of the center (a partner's
 * message integrated, a delivery step). No user account can have the role `hub`.
 */
export const ACTOR_ROLES = [...ROLES, 'hub'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];
export const ROLE_LABELS: Record<ActorRole, string> = {
  arm: 'ARM (assistant de régulation médicale)',
  physician: 'Médecin régulateur',
  supervisor: 'Superviseur',
  admin: 'Administrateur',
  hub: 'Hub Santé',
};

/** ARM priority referential. P0/P1 go to the SAMU's urgentist, P2/P3 may stay with liberal regulation. */
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LABELS: Record<Priority, string> = {
  P0: 'P0 — départ réflexe (SAMU)',
  P1: 'P1 — urgence vitale (SAMU)',
  P2: 'P2 — urgent, régulation sans délai',
  P3: 'P3 — non urgent, conseil possible',
};
/** Lower rank = more urgent. */
export const PRIORITY_RANK: Record<Priority, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** Which regulation track a case waits in. */
export const TRACKS = ['liberal', 'samu'] as const;
export type Track = (typeof TRACKS)[number];
export const TRACK_LABELS: Record<Track, string> = {
  liberal: 'Régulation libérale (MRL)',
  samu: 'SAMU (MRU)',
};

/** Lines a call can come in on. */
export const LINES = ['116117', '15', 'professional', 'other'] as const;
export type Line = (typeof LINES)[number];
export const LINE_LABELS: Record<Line, string> = {
  '116117': '116 117',
  '15': 'Transfert du 15',
  professional: 'Ligne des professionnels',
  other: 'Autre (hors appel)',
};

export const CALLER_RELATIONSHIPS = [
  'self',
  'parent',
  'family',
  'neighbour',
  'nurse',
  'physician',
  'institution',
  'other',
] as const;
export type CallerRelationship = (typeof CALLER_RELATIONSHIPS)[number];
export const CALLER_RELATIONSHIP_LABELS: Record<CallerRelationship, string> = {
  self: 'Le patient lui-même',
  parent: 'Parent (enfant mineur)',
  family: 'Famille / proche',
  neighbour: 'Voisin / tiers',
  nurse: 'Infirmier(ère)',
  physician: 'Médecin',
  institution: 'Établissement (EHPAD, foyer…)',
  other: 'Autre',
};

export const SEXES = ['F', 'M', 'U'] as const;
export type Sex = (typeof SEXES)[number];
export const SEX_LABELS: Record<Sex, string> = { F: 'Femme', M: 'Homme', U: 'Non précisé' };

/**
 * Reasons for call (motifs d'appel) most seen out of hours. Free text completes the code.
 * `suggested` is the priority an ARM usually starts from; the ARM decides.
 */
export const REASONS = {
  FEVER: { label: 'Fièvre', suggested: 'P3' },
  FEVER_CHILD: { label: 'Fièvre de l’enfant', suggested: 'P2' },
  ABDOMINAL_PAIN: { label: 'Douleur abdominale', suggested: 'P2' },
  CHEST_PAIN: { label: 'Douleur thoracique', suggested: 'P1' },
  DYSPNOEA: { label: 'Difficulté respiratoire', suggested: 'P1' },
  UNCONSCIOUS: { label: 'Malaise / perte de connaissance', suggested: 'P1' },
  CARDIAC_ARREST: { label: 'Arrêt cardio-respiratoire', suggested: 'P0' },
  NEURO_DEFICIT: { label: 'Déficit neurologique (suspicion d’AVC)', suggested: 'P1' },
  TRAUMA: { label: 'Traumatisme / chute', suggested: 'P2' },
  WOUND: { label: 'Plaie', suggested: 'P3' },
  HEADACHE: { label: 'Céphalées', suggested: 'P3' },
  ENT: { label: 'ORL (angine, otite…)', suggested: 'P3' },
  COUGH: { label: 'Toux / rhume', suggested: 'P3' },
  VOMITING_DIARRHOEA: { label: 'Vomissements / diarrhée', suggested: 'P3' },
  URINARY: { label: 'Troubles urinaires', suggested: 'P3' },
  SKIN: { label: 'Éruption cutanée / allergie', suggested: 'P3' },
  PSYCH: { label: 'Trouble psychiatrique / anxiété', suggested: 'P2' },
  MEDICATION: { label: 'Renouvellement / question sur un traitement', suggested: 'P3' },
  DEATH_CERTIFICATE: { label: 'Constat de décès', suggested: 'P3' },
  PREGNANCY: { label: 'Grossesse', suggested: 'P2' },
  OTHER: { label: 'Autre motif', suggested: 'P3' },
} as const satisfies Record<string, { label: string; suggested: Priority }>;
export type ReasonCode = keyof typeof REASONS;
export const REASON_CODES = Object.keys(REASONS) as [ReasonCode, ...ReasonCode[]];

/**
 * Regulation decisions. `hub` is the Hub Santé decisionType they map onto (issue 9 maps them fully).
 * `requires` lists the decision fields that must be filled.
 */
export const DECISIONS = {
  PHONE_ADVICE: { label: 'Conseil médical téléphonique', hub: 'CONSEIL', requires: [] },
  PRESCRIPTION: {
    label: 'Prescription téléphonique (pharmacie de garde)',
    hub: 'PMT',
    requires: ['pharmacy'],
  },
  CONSULTATION: {
    label: 'Consultation (médecin de garde / MMG)',
    hub: 'ORIENT',
    requires: ['effector', 'appointmentAt'],
  },
  HOME_VISIT: { label: 'Visite à domicile', hub: 'INTER', requires: ['effector'] },
  AMBULANCE: { label: 'Ambulance privée', hub: 'INTER', requires: ['destination'] },
  EMERGENCY_DEPARTMENT: {
    label: 'Orientation vers les urgences',
    hub: 'ORIENT',
    requires: ['destination'],
  },
  TRANSFER_SAMU: { label: 'Transfert au SAMU (urgentiste)', hub: 'PASPLUS', requires: [] },
} as const satisfies Record<
  string,
  { label: string; hub: string; requires: readonly DecisionField[] }
>;
export type DecisionField = 'pharmacy' | 'effector' | 'appointmentAt' | 'destination';
export type DecisionCode = keyof typeof DECISIONS;
export const DECISION_CODES = Object.keys(DECISIONS) as [DecisionCode, ...DecisionCode[]];
export const DECISION_FIELD_LABELS: Record<DecisionField, string> = {
  pharmacy: 'Pharmacie de garde',
  effector: 'Médecin effecteur',
  appointmentAt: 'Heure du rendez-vous',
  destination: 'Destination',
};

/** Lifecycle states of a regulation case. */
export const CASE_STATUSES = [
  'new_call',
  'screening',
  'waiting_regulation',
  'under_regulation',
  'decided',
  'closed',
  'cancelled',
  'transferred_samu',
] as const;
export type CaseStatusCode = (typeof CASE_STATUSES)[number];
export const STATUS_LABELS: Record<CaseStatusCode, string> = {
  new_call: 'Nouvel appel',
  screening: 'Prise d’appel (ARM)',
  waiting_regulation: 'En attente de régulation',
  under_regulation: 'En régulation',
  decided: 'Décision prise',
  closed: 'Clôturé',
  cancelled: 'Annulé',
  transferred_samu: 'Transféré au SAMU',
};

/** Wished delays (Hub Santé nomenclature). */
export const DELAY_CODES = ['DEL0', 'ASAP', '30M', '45M', '1H', '2H', '4H', '8H', '12H', '24H', 'RDV'] as const;
export type DelayCode = (typeof DELAY_CODES)[number];
export const DELAY_LABELS: Record<DelayCode, string> = {
  DEL0: 'Immédiat',
  ASAP: 'Dès que possible (≤ 1 h)',
  '30M': 'Sous 30 min',
  '45M': 'Sous 45 min',
  '1H': 'Sous 1 h',
  '2H': 'Sous 2 h',
  '4H': 'Sous 4 h',
  '8H': 'Sous 8 h',
  '12H': 'Sous 12 h',
  '24H': 'Sous 24 h',
  RDV: 'À heure fixe',
};

