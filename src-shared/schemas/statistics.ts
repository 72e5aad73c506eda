/**
 * Runtime schemas of the statistics the server answers (checked at the workstation's boundary),
 * typed against the domain's own types so that they cannot drift apart.
 */
import { z } from 'zod';
import { DECISION_CODES, PRIORITIES } from '../domain/codes.js';
import type { ActivityStatistics, CallIndicators } from '../domain/statistics.js';

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1).nullable();
const seconds = z.number().nonnegative().nullable();

const callIndicatorsShape = {
  received: count,
  answered: count,
  abandoned: count,
  transferred: count,
  answeredWithin30s: count,
  answeredWithin60s: count,
  shareWithin30s: share,
  shareWithin60s: share,
  answerSeconds: z.strictObject({ median: seconds, p90: seconds, buckets: z.array(z.strictObject({ label: z.string(), count })) }),
  outgoing: count,
};
export const CallIndicatorsSchema: z.ZodType<CallIndicators> = z.strictObject(callIndicatorsShape);

const record = <K extends string>(keys: readonly K[]) => z.strictObject(Object.fromEntries(keys.map((k) => [k, count])) as Record<K, typeof count>);

export const ActivityStatisticsSchema: z.ZodType<ActivityStatistics> = z.strictObject({
  period: z.strictObject({ from: z.number(), to: z.number(), department: z.string(), sectorId: z.string().nullable() }),
  calls: z.strictObject({ ...callIndicatorsShape, pdsa: CallIndicatorsSchema, daytime: CallIndicatorsSchema }),
  cases: z.strictObject({
    total: count,
    byPriority: record([...PRIORITIES, 'none'] as const),
    byDecision: record([...DECISION_CODES, 'none'] as const),
    bySector: z.record(z.string(), count),
    reopened: count,
    regulationDelay: z.strictObject({ count, medianSeconds: seconds, p90Seconds: seconds }),
    consultationsArranged: count,
    homeVisitsArranged: count,
    perPhysician: z.array(z.strictObject({ userId: z.string(), name: z.string(), decisions: count })),
    pdsa: count,
    daytime: count,
  }),
});

export const TodayFiguresSchema = z.strictObject({
  day: z.iso.date(),
  calls: CallIndicatorsSchema,
  halfHours: z.strictObject({ today: z.array(count).length(48), lastWeek: z.array(count).length(48) }),
  /** The server's clock when it computed them. */
  at: z.number(),
});
export type TodayFiguresView = z.infer<typeof TodayFiguresSchema>;

export const REPORT_KINDS = ['activity.pdf', 'activity.csv', 'acts.csv', 'effector-incentives.csv'] as const;
export const ReportRequestSchema = z.union([
  z.strictObject({ kind: z.enum(REPORT_KINDS), month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'mois au format AAAA-MM') }),
  z.strictObject({ kind: z.literal('acts.csv'), year: z.string().regex(/^\d{4}$/, 'année au format AAAA') }),
]);
export type ReportRequest = z.infer<typeof ReportRequestSchema>;

export const IncentiveSettingsSchema = z.strictObject({
  amountPerActCents: z.number().int().min(0).max(1_000_000),
  yearEndComplementCents: z.number().int().min(0).max(100_000_000),
});
