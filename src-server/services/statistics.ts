/**
 * Statistics of a center for a period: the rows of the period, read with two indexed range scans,
 * go through the domain's indicator code (the same the tests check against hand-made fixtures).
 */
import { TZDate } from '@date-fns/tz';
import { addDays, format } from 'date-fns';
import { departmentTimeZone } from '../../src-shared/domain/departments.js';
import { RING_STALE_MS } from '../../src-shared/domain/call-log.js';
import {
  activityStatistics,
  callIndicators,
  callsPerHalfHour,
  periodOfDays,
  type ActivityStatistics,
  type CallFact,
  type CallIndicators,
  type CaseFact,
} from '../../src-shared/domain/statistics.js';
import type { DecisionCode, Priority } from '../../src-shared/domain/codes.js';
import type { Queryable } from '../db/sql.js';
import { pdsaRulesOf } from './pdsa-settings.js';

export async function departmentOf(db: Queryable, tenant: string): Promise<string> {
  const { rows } = await db.query<{ department: string }>('SELECT department FROM tenants WHERE id = $1', [tenant]);
  if (!rows[0]) throw new Error(`unknown tenant ${tenant}`);
  return rows[0].department;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function callFacts(db: Queryable, tenant: string, from: number, to: number, now = Date.now()): Promise<CallFact[]> {
  // The desks' call log, and the lines' queue: a call that came through a line arrived when it
  // entered the queue (its answer time counts from there), and one abandoned in the queue never
  // rang at a desk but was received all the same. Calls to a closed line are not counted.
  const { rows } = await db.query<{ d: string; it: boolean; a: string; an: string | null; t: boolean; s: string | null; st: string }>(
    `SELECT c.direction AS d, c.internal_transfer AS it, least(c.arrived_at, coalesce(l.arrived_at, c.arrived_at)) AS a,
            c.answered_at AS an, c.transferred AS t, f.sector_id AS s, c.status AS st
       FROM calls c
       LEFT JOIN line_calls l ON l.tenant = c.tenant AND l.call_id = c.call_id
       LEFT JOIN case_facts f ON f.tenant = c.tenant AND f.case_id = c.case_id
      WHERE c.tenant = $1 AND c.arrived_at >= $2 AND c.arrived_at < $3
     UNION ALL
     SELECT 'in', false, l.arrived_at, NULL, false, NULL, CASE WHEN l.state IN ('waiting', 'offered') THEN 'queued' ELSE 'ended' END
       FROM line_calls l
      WHERE l.tenant = $1 AND l.arrived_at >= $2 AND l.arrived_at < $3 AND l.state <> 'refused'
        AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.tenant = l.tenant AND c.call_id = l.call_id)`,
    [tenant, from, to],
    'stats-calls-with-lines',
  );
  return rows.map((r) => {
    const arrivedAt = Number(r.a);
    const fact: CallFact = { direction: r.d as 'in' | 'out', internalTransfer: r.it, arrivedAt, answeredAt: num(r.an), transferred: r.t, sectorId: r.s };
    // Ringing at a desk (for a while), or waiting in a line's queue: not yet answered, not abandoned.
    if ((r.st === 'ringing' && now - arrivedAt < RING_STALE_MS) || r.st === 'queued') fact.stillRinging = true;
    return fact;
  });
}

export async function caseFacts(db: Queryable, tenant: string, from: number, to: number): Promise<CaseFact[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT opened_at, priority, sector_id, decision, first_decided_at, decided_by, decided_by_name, reopen_count, first_answered_at, cancelled
       FROM case_facts WHERE tenant = $1 AND opened_at >= $2 AND opened_at < $3`,
    [tenant, from, to],
    'stats-cases',
  );
  return rows.map((r) => ({
    openedAt: Number(r.opened_at),
    priority: (r.priority as Priority | null) ?? null,
    sectorId: (r.sector_id as string | null) ?? null,
    decisionCode: (r.decision as DecisionCode | null) ?? null,
    firstDecidedAt: num(r.first_decided_at),
    decidedById: (r.decided_by as string | null) ?? null,
    decidedByName: (r.decided_by_name as string | null) ?? null,
    reopenCount: Number(r.reopen_count),
    firstAnsweredAt: num(r.first_answered_at),
    cancelled: r.cancelled === true,
  }));
}

/** Statistics for local days fromDay..toDay (inclusive) of the center's department. */
export async function statisticsFor(db: Queryable, tenant: string, fromDay: string, toDay: string, sectorId: string | null): Promise<ActivityStatistics> {
  const department = await departmentOf(db, tenant);
  const { from, to } = periodOfDays(department, fromDay, toDay);
  const [calls, cases, rules] = await Promise.all([callFacts(db, tenant, from, to), caseFacts(db, tenant, from, to), pdsaRulesOf(db, tenant)]);
  // PDSA or daytime by the center's own rules (a Saturday starting at 14 h, the ARS's bridge days).
  return activityStatistics({ department, from, to, sectorId, calls, cases, rules });
}

export interface TodayFigures {
  day: string;
  calls: CallIndicators;
  /** Incoming calls per local half-hour, today and the same weekday a week before. */
  halfHours: { today: number[]; lastWeek: number[] };
}

/** The wall screen's figures for the local day of `now`. */
export async function todayFigures(db: Queryable, tenant: string, now: number): Promise<TodayFigures> {
  const department = await departmentOf(db, tenant);
  const tz = departmentTimeZone(department);
  const day = format(new TZDate(now, tz), 'yyyy-MM-dd');
  const weekBefore = format(addDays(new TZDate(now, tz), -7), 'yyyy-MM-dd');
  const today = periodOfDays(department, day, day);
  const last = periodOfDays(department, weekBefore, weekBefore);
  const [todayCalls, lastCalls] = await Promise.all([callFacts(db, tenant, today.from, today.to, now), callFacts(db, tenant, last.from, last.to, now)]);
  const incoming = (calls: CallFact[]) => calls.filter((c) => c.direction === 'in' && !c.internalTransfer).map((c) => c.arrivedAt);
  return {
    day,
    calls: callIndicators(todayCalls),
    halfHours: { today: callsPerHalfHour(incoming(todayCalls), tz), lastWeek: callsPerHalfHour(incoming(lastCalls), tz) },
  };
}
