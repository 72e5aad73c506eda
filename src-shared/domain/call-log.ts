/**
 * Merging the phones' reports of one call into the center's record of it. Pure and order-free:
 * reports may arrive late (a workstation that was offline), twice, or out of order, and the
 * result is the same. A phone's view only moves forward (ringing → answered → ended).
 */
import type { CallAgent, CallReport, CallViewState, CenterCall } from '../schemas/call-log.js';

const RANK: Record<CallViewState, number> = { ringing: 0, answered: 1, ended: 2 };

/** Calls still "ringing" after this long with no news are taken as ended (a phone that died while it rang). */
export const RING_STALE_MS = 90_000;

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export function mergeCallReport(current: CenterCall | undefined, report: CallReport, agent: CallAgent): CenterCall {
  const base: CenterCall = current ?? {
    callId: report.callId,
    direction: report.direction,
    line: report.line,
    remote: report.remote,
    referredBy: report.referredBy ?? null,
    status: 'ringing',
    arrivedAt: report.arrivedAt,
    answeredAt: null,
    answeredBy: null,
    endedAt: null,
    endReason: null,
    transferredTo: null,
    caseId: null,
    views: {},
  };
  const next: CenterCall = { ...base, views: { ...base.views } };
  next.arrivedAt = Math.min(base.arrivedAt, report.arrivedAt);
  if (report.referredBy && !next.referredBy) next.referredBy = report.referredBy;
  const before = next.views[agent.workstation];
  if (before === undefined || RANK[report.state] >= RANK[before]) next.views[agent.workstation] = report.state;
  if (report.caseId && !next.caseId) next.caseId = report.caseId;

  // The phone that answered first is the one that took the call (the others were cancelled).
  if (report.answeredAt !== null) {
    if (next.answeredBy === null || next.answeredBy.workstation === agent.workstation || report.answeredAt < (next.answeredAt ?? Infinity)) {
      next.answeredAt = report.answeredAt;
      next.answeredBy = agent;
    }
  }
  const answering = next.answeredBy?.workstation === agent.workstation;
  if (answering && report.transferredTo) next.transferredTo = report.transferredTo;

  if (next.answeredBy) {
    // Answered: it ends when the answering phone's call ends.
    const view = next.views[next.answeredBy.workstation];
    next.status = view === 'ended' ? 'ended' : 'in_progress';
    if (answering && report.endedAt !== null) {
      next.endedAt = report.endedAt;
      next.endReason = report.endReason;
    }
  } else {
    // Nobody answered yet: it ends when every phone that rang has stopped ringing (endedAt is
    // the last of their ends, whatever the order the reports came in; read it once ended).
    const all = Object.values(next.views);
    next.status = all.length > 0 && all.every((v) => v === 'ended') ? 'ended' : 'ringing';
    if (report.endedAt !== null) {
      next.endedAt = maxOf(next.endedAt, report.endedAt);
      // The caller's hang-up is what makes it abandoned; keep the most telling reason seen.
      if (next.endReason === null || report.endReason === 'caller_hung_up') next.endReason = report.endReason;
    }
  }
  return next;
}

/** A call that is still ringing as far as the center knows, and not stale. */
export function isWaiting(call: CenterCall, now: number): boolean {
  return call.status === 'ringing' && call.direction === 'in' && call.referredBy === null && now - call.arrivedAt < RING_STALE_MS;
}
