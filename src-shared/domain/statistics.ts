/**
 * Activity indicators of a center, from its call log and its cases. Pure: the central server
 * feeds it the rows of a period, the tests feed it hand-checked fixtures. Every definition used
 * here is written out in STATISTICS_DEFINITIONS, which the UI shows next to the figures.
 */
import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns';
import { DECISION_CODES, PRIORITIES, type DecisionCode, type Priority } from './codes.js';
import { departmentTimeZone } from './departments.js';
import { DEFAULT_PDSA_RULES, pdsaAt, type DepartmentPdsaRules } from './pdsa-calendar.js';
import type { RegulationCase } from '../schemas/case.js';

/** What the indicators need of a call (the server's call log, one row per call). */
export interface CallFact {
  direction: 'in' | 'out';
  /** Reached the center by a transfer between its own phones: not a new call. */
  internalTransfer: boolean;
  arrivedAt: number;
  answeredAt: number | null;
  /** Handed on by a transfer after it was answered. */
  transferred: boolean;
  /** The PDSA sector of the case the call was linked to, if any. */
  sectorId: string | null;
  /** Ringing now (not answered, not ended, not stale): counted once it is one or the other. */
  stillRinging?: boolean;
}

/** What the indicators need of a case (the server's case projection, one row per case). */
export interface CaseFact {
  openedAt: number;
  priority: Priority | null;
  sectorId: string | null;
  decisionCode: DecisionCode | null;
  /** The first decision of the case (a reopened case may have several). */
  firstDecidedAt: number | null;
  decidedById: string | null;
  decidedByName: string | null;
  reopenCount: number;
  /** When the first incoming call of the case was answered (else its opening). */
  firstAnsweredAt: number | null;
  /** Cancelled (opened by mistake): left out of every case indicator. */
  cancelled: boolean;
}

/** The facts of a case, from its projection (the server keeps them next to it). */
export function caseFactOf(c: RegulationCase): CaseFact {
  let firstAnsweredAt: number | null = null;
  for (const call of c.calls ?? []) {
    if (call.direction === 'in' && call.answeredAt !== null && (firstAnsweredAt === null || call.answeredAt < firstAnsweredAt)) firstAnsweredAt = call.answeredAt;
  }
  return {
    openedAt: c.openedAt,
    priority: c.fields.priority ?? null,
    sectorId: c.fields.location?.sectorId ?? null,
    decisionCode: c.decision?.code ?? null,
    firstDecidedAt: c.firstDecidedAt ?? c.decidedAt ?? null,
    decidedById: c.decidedBy?.userId ?? null,
    decidedByName: c.decidedBy?.displayName ?? null,
    reopenCount: c.reopenCount ?? 0,
    firstAnsweredAt,
    cancelled: c.status === 'cancelled',
  };
}

export const ANSWER_TARGETS = { within30sShare: 0.9, within60sShare: 0.95 } as const;
export const ANSWER_TIME_BUCKETS: readonly { label: string; upToSeconds: number }[] = [
  { label: '0–10 s', upToSeconds: 10 },
  { label: '10–30 s', upToSeconds: 30 },
  { label: '30–60 s', upToSeconds: 60 },
  { label: '1–2 min', upToSeconds: 120 },
  { label: '> 2 min', upToSeconds: Infinity },
];

export interface CallIndicators {
  received: number;
  answered: number;
  abandoned: number;
  transferred: number;
  answeredWithin30s: number;
  answeredWithin60s: number;
  /** Shares of received calls (0..1), null when no call was received. */
  shareWithin30s: number | null;
  shareWithin60s: number | null;
  answerSeconds: { median: number | null; p90: number | null; buckets: { label: string; count: number }[] };
  outgoing: number;
}

export interface DelayFigures {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface CaseIndicators {
  total: number;
  byPriority: Record<Priority | 'none', number>;
  byDecision: Record<DecisionCode | 'none', number>;
  bySector: Record<string, number>;
  reopened: number;
  regulationDelay: DelayFigures;
  consultationsArranged: number;
  homeVisitsArranged: number;
  perPhysician: { userId: string; name: string; decisions: number }[];
}

export interface ActivityStatistics {
  period: { from: number; to: number; department: string; sectorId: string | null };
  calls: CallIndicators & { pdsa: CallIndicators; daytime: CallIndicators };
  cases: CaseIndicators & { pdsa: number; daytime: number };
}

export const STATISTICS_DEFINITIONS: readonly { term: string; definition: string }[] = [
  { term: 'Appel reçu', definition: 'Appel entrant présenté à au moins un poste du centre. Un appel transféré d’un poste à un autre du centre reste un seul appel ; les appels sortants (rappels) sont comptés à part. Un appel qui sonne encore est compté dès qu’il est décroché ou terminé (ou après 90 s sans nouvelles de son poste).' },
  { term: 'Appel décroché', definition: 'Appel reçu qu’un poste a pris. Le délai de décroché va de l’arrivée de l’appel au centre (premier poste qui sonne) à la prise.' },
  { term: 'Appel abandonné', definition: 'Appel reçu que personne n’a pris : l’appelant a raccroché pendant la sonnerie, ou la sonnerie a expiré. Un appel abandonné à 59 s compte dans les appels reçus et pèse sur les taux à 30 s et à 60 s.' },
  { term: 'Taux de décroché à 30 s / 60 s', definition: 'Appels décrochés en 30 s (60 s) ou moins, divisés par tous les appels reçus, abandonnés compris.' },
  { term: 'Appel répété', definition: 'Appel pour un même numéro de rappel ou un même patient (nom et date de naissance) dans les 72 h ; dans les 24 h, la priorité proposée est relevée d’un cran.' },
  { term: 'Délai de régulation', definition: 'Du décroché du premier appel du dossier (ou de son ouverture à défaut d’appel) à la première décision médicale. Un dossier rouvert garde son premier délai.' },
  { term: 'Décision', definition: 'La dernière décision médicale du dossier ; un dossier rouvert puis décidé à nouveau compte une fois, avec sa nouvelle décision, et dans « dossiers rouverts ».' },
  { term: 'Période de PDSA', definition: 'Nuits (20 h – 8 h), samedi après-midi, dimanches, jours fériés et ponts, à l’heure légale du département ; le reste est « en journée ».' },
  { term: 'Consultation / visite organisée', definition: 'Dossiers dont la décision est une consultation ou une visite à domicile. « Réalisée » sera renseigné par le retour des effecteurs.' },
  { term: 'Période', definition: 'Du premier jour à 0 h au lendemain du dernier jour à 0 h, à l’heure légale du département ; un appel compte le jour de son arrivée, même décroché après minuit.' },
];

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function callIndicators(calls: readonly CallFact[]): CallIndicators {
  let received = 0;
  let answered = 0;
  let transferred = 0;
  let within30 = 0;
  let within60 = 0;
  let outgoing = 0;
  const waits: number[] = [];
  const buckets = ANSWER_TIME_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const c of calls) {
    if (c.direction === 'out') {
      outgoing += 1;
      continue;
    }
    if (c.internalTransfer || c.stillRinging) continue;
    received += 1;
    if (c.answeredAt === null) continue;
    answered += 1;
    if (c.transferred) transferred += 1;
    const seconds = Math.max(0, c.answeredAt - c.arrivedAt) / 1000;
    waits.push(seconds);
    if (seconds <= 30) within30 += 1;
    if (seconds <= 60) within60 += 1;
    buckets[ANSWER_TIME_BUCKETS.findIndex((b) => seconds <= b.upToSeconds)]!.count += 1;
  }
  waits.sort((a, b) => a - b);
  return {
    received,
    answered,
    abandoned: received - answered,
    transferred,
    answeredWithin30s: within30,
    answeredWithin60s: within60,
    shareWithin30s: received ? within30 / received : null,
    shareWithin60s: received ? within60 / received : null,
    answerSeconds: { median: percentile(waits, 0.5), p90: percentile(waits, 0.9), buckets },
    outgoing,
  };
}

function delayFigures(seconds: number[]): DelayFigures {
  seconds.sort((a, b) => a - b);
  return { count: seconds.length, medianSeconds: percentile(seconds, 0.5), p90Seconds: percentile(seconds, 0.9) };
}

export function caseIndicators(cases: readonly CaseFact[]): CaseIndicators {
  const byPriority = Object.fromEntries([...PRIORITIES, 'none'].map((p) => [p, 0])) as Record<Priority | 'none', number>;
  const byDecision = Object.fromEntries([...DECISION_CODES, 'none'].map((d) => [d, 0])) as Record<DecisionCode | 'none', number>;
  const bySector: Record<string, number> = {};
  const physicians = new Map<string, { userId: string; name: string; decisions: number }>();
  const delays: number[] = [];
  let reopened = 0;
  for (const c of cases) {
    byPriority[c.priority ?? 'none'] += 1;
    byDecision[c.decisionCode ?? 'none'] += 1;
    const sector = c.sectorId ?? 'none';
    bySector[sector] = (bySector[sector] ?? 0) + 1;
    if (c.reopenCount > 0) reopened += 1;
    if (c.firstDecidedAt !== null) delays.push(Math.max(0, c.firstDecidedAt - (c.firstAnsweredAt ?? c.openedAt)) / 1000);
    if (c.decidedById) {
      const p = physicians.get(c.decidedById) ?? { userId: c.decidedById, name: c.decidedByName ?? c.decidedById, decisions: 0 };
      p.decisions += 1;
      physicians.set(c.decidedById, p);
    }
  }
  return {
    total: cases.length,
    byPriority,
    byDecision,
    bySector,
    reopened,
    regulationDelay: delayFigures(delays),
    consultationsArranged: byDecision.CONSULTATION,
    homeVisitsArranged: byDecision.HOME_VISIT,
    perPhysician: [...physicians.values()].sort((a, b) => b.decisions - a.decisions || a.name.localeCompare(b.name, 'fr')),
  };
}

/**
 * Whether an instant is in a PDSA period, memoised per hour: PDSA periods start and end on whole
 * hours and French offsets are whole hours, so one answer per hour is exact. One calendar look-up
 * fills a whole period (a night, a weekend), or the rest of a working day (until 20 h, or the
 * Saturday start): a year of calls costs about two look-ups a day, not one per call.
 */
export function pdsaClassifier(department: string, rules: DepartmentPdsaRules = DEFAULT_PDSA_RULES): (instant: number) => boolean {
  const HOUR = 3_600_000;
  const memo = new Map<number, boolean>();
  return (instant) => {
    const hour = Math.floor(instant / HOUR);
    const known = memo.get(hour);
    if (known !== undefined) return known;
    const status = pdsaAt(hour * HOUR, department, rules);
    if (status.period) {
      for (let h = Math.floor(status.period.start / HOUR); h * HOUR < status.period.end; h++) memo.set(h, true);
    } else {
      // A working day's hours are all outside PDSA until the evening (or Saturday's start);
      // no change of offset happens between 8 h and 20 h.
      const [date, time] = status.localTime.split('T') as [string, string];
      const localHour = Number(time.slice(0, 2));
      const saturday = new Date(`${date}T12:00:00Z`).getUTCDay() === 6;
      const endHour = saturday ? rules.saturdayStartHour : 20;
      for (let k = 0; localHour + k < endHour; k++) memo.set(hour + k, false);
      memo.set(hour, false);
    }
    return memo.get(hour)!;
  };
}

/** [from, to) of local calendar days `fromDay`..`toDay` (inclusive) in the department's time zone. */
export function periodOfDays(department: string, fromDay: string, toDay: string): { from: number; to: number } {
  const tz = departmentTimeZone(department);
  const [fy, fm, fd] = fromDay.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = toDay.split('-').map(Number) as [number, number, number];
  const from = new TZDate(fy, fm - 1, fd, 0, 0, 0, 0, tz).getTime();
  const to = addDays(new TZDate(ty, tm - 1, td, 0, 0, 0, 0, tz), 1).getTime();
  return { from, to };
}

export function activityStatistics(input: {
  department: string;
  from: number;
  to: number;
  sectorId?: string | null;
  calls: readonly CallFact[];
  cases: readonly CaseFact[];
  rules?: DepartmentPdsaRules;
}): ActivityStatistics {
  const inPdsa = pdsaClassifier(input.department, input.rules);
  const sector = input.sectorId ?? null;
  const calls = input.calls.filter((c) => c.arrivedAt >= input.from && c.arrivedAt < input.to && (sector === null || c.sectorId === sector));
  // A case cancelled (opened by mistake) was never a patient's case: it counts nowhere.
  const cases = input.cases.filter((c) => !c.cancelled && c.openedAt >= input.from && c.openedAt < input.to && (sector === null || c.sectorId === sector));
  const pdsaCalls = calls.filter((c) => inPdsa(c.arrivedAt));
  const dayCalls = calls.filter((c) => !inPdsa(c.arrivedAt));
  const pdsaCases = cases.reduce((n, c) => n + (inPdsa(c.openedAt) ? 1 : 0), 0);
  return {
    period: { from: input.from, to: input.to, department: input.department, sectorId: sector },
    calls: { ...callIndicators(calls), pdsa: callIndicators(pdsaCalls), daytime: callIndicators(dayCalls) },
    cases: { ...caseIndicators(cases), pdsa: pdsaCases, daytime: cases.length - pdsaCases },
  };
}

/** Local wall-clock half-hour slot (0..47) of an instant in a time zone. */
export function halfHourSlot(instant: number, timeZone: string): number {
  const local = new TZDate(instant, timeZone);
  return local.getHours() * 2 + (local.getMinutes() >= 30 ? 1 : 0);
}

/**
 * Incoming calls per local half-hour of a day (48 slots, labelled by wall-clock time). On the
 * autumn change the repeated hour's calls add up in its two slots; in spring 02:00–03:00 is empty.
 */
export function callsPerHalfHour(arrivals: readonly number[], timeZone: string): number[] {
  const slots = Array.from({ length: 48 }, () => 0);
  for (const a of arrivals) slots[halfHourSlot(a, timeZone)]! += 1;
  return slots;
}

export const HALF_HOUR_LABELS = Array.from({ length: 48 }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);
