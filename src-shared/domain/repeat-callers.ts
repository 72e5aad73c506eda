/**
 * Repeat callers. Successive calls about the same patient must be visible at once (a safety
 * requirement named by the regional health agencies): on answer and while the form fills, the
 * cases of the last 72 hours with the same callback number or the same patient (name and birth
 * date) are shown with their outcome. A repeat within 24 hours raises the priority suggestion by
 * one level: the second call about the same patient on the same day is a warning sign.
 */
import { PRIORITIES, PRIORITY_RANK, REASONS, type Priority, type ReasonCode } from './codes.js';
import type { CaseSummary } from '../schemas/case.js';
import { searchKey } from '../text/normalize.js';

export const REPEAT_WINDOW_MS = 72 * 3600_000;
export const REPEAT_RAISE_WINDOW_MS = 24 * 3600_000;

export type RepeatMatch = 'phone' | 'patient';

/** What is known of the call being screened. */
export interface RepeatProbe {
  caseId?: string;
  /** Canonical (E.164) callback number. */
  callbackPhone?: string | null;
  /** "LASTNAME First", as summaries show it. */
  patientName?: string | null;
  patientBirthDate?: string | null;
  /** The moment of the new call. */
  at: number;
}

export interface RepeatCall {
  summary: CaseSummary;
  matches: RepeatMatch[];
  /** Opened less than 24 hours before the probe. */
  within24h: boolean;
}

/** The patient key used to match: the normalised name with the birth date, or nothing. */
export function patientKey(name: string | null | undefined, birthDate: string | null | undefined): string | null {
  if (!name || !birthDate) return null;
  const key = searchKey(name);
  return key === '' ? null : `${key}|${birthDate}`;
}

/**
 * Among candidate cases (found by number or by patient), those that are repeats of the probe:
 * opened within 72 hours before it (not after: a clock skew must not hide a case, so cases up to
 * 5 minutes "in the future" count), not the probe's own case; most recent first.
 */
export function findRepeatCalls(probe: RepeatProbe, candidates: readonly CaseSummary[]): RepeatCall[] {
  const probeKey = patientKey(probe.patientName, probe.patientBirthDate);
  const seen = new Map<string, RepeatCall>();
  for (const c of candidates) {
    if (c.id === probe.caseId || seen.has(c.id)) continue;
    const age = probe.at - c.openedAt;
    if (age > REPEAT_WINDOW_MS || age < -5 * 60_000) continue;
    const matches: RepeatMatch[] = [];
    if (probe.callbackPhone && c.callbackPhone === probe.callbackPhone) matches.push('phone');
    if (probeKey && patientKey(c.patientName, c.patientBirthDate) === probeKey) matches.push('patient');
    if (matches.length === 0) continue;
    seen.set(c.id, { summary: c, matches, within24h: age <= REPEAT_RAISE_WINDOW_MS });
  }
  return [...seen.values()].sort((a, b) => b.summary.openedAt - a.summary.openedAt);
}

export interface PrioritySuggestion {
  priority: Priority;
  /** Why, in French, for the form. */
  reason: string;
  raisedForRepeat: boolean;
}

/**
 * The priority an ARM would start from: the reason's usual priority, one level more urgent when
 * the patient already called within 24 hours. Never raised to P0 (reflex dispatch is the ARM's
 * call alone). Null without a reason.
 */
export function suggestPriority(reasonCode: ReasonCode | null | undefined, repeats: readonly RepeatCall[]): PrioritySuggestion | null {
  if (!reasonCode) return null;
  const base = REASONS[reasonCode].suggested as Priority;
  const recent = repeats.find((r) => r.within24h);
  if (!recent || PRIORITY_RANK[base] <= PRIORITY_RANK.P1) {
    return { priority: base, reason: `priorité habituelle pour « ${REASONS[reasonCode].label} »`, raisedForRepeat: false };
  }
  const raised = PRIORITIES[PRIORITY_RANK[base] - 1]!;
  return {
    priority: raised,
    reason: `rappel dans les 24 h (dossier ${recent.summary.reference}) : ${base} relevée à ${raised}`,
    raisedForRepeat: true,
  };
}
