/**
 * Permanence des soins ambulatoires (PDSA) calendar: "is this instant inside PDSA for department D,
 * and which period?" Rules (../shared/docs/domain.md): every night 20:00–08:00; Sundays and public
 * holidays 08:00–20:00; Saturday afternoon from a department setting (12:00 in most regions, 14:00 in
 * some); bridge days set by the department (explicit dates, and optionally the usual rule: the Monday
 * before a Tuesday holiday, the Friday and Saturday after a Thursday holiday).
 * Public holidays come from date-holidays (type "public" only: Alsace-Moselle adds Good Friday and
 * 26 December, overseas departments their abolition day); wall-clock time from @date-fns/tz.
 */
import Holidays from 'date-holidays';
import { TZDate } from '@date-fns/tz';
import { addDays, format } from 'date-fns';
import { departmentHolidayRegion, departmentTimeZone } from './departments.js';

export interface DepartmentPdsaRules {
  /** Hour (local) at which Saturday's PDSA starts: 12 in most regions, 14 in some. */
  saturdayStartHour: number;
  /** Extra PDSA days decided by the ARS, as local ISO dates (YYYY-MM-DD). */
  bridgeDays: readonly string[];
  /** Apply the usual bridge rule automatically (Monday before / Friday and Saturday after a holiday). */
  autoBridgeDays: boolean;
}
export const DEFAULT_PDSA_RULES: DepartmentPdsaRules = { saturdayStartHour: 12, bridgeDays: [], autoBridgeDays: false };

export type PdsaPeriodKind = 'night' | 'saturday_afternoon' | 'sunday' | 'public_holiday' | 'bridge_day';
export const PDSA_PERIOD_LABELS: Record<PdsaPeriodKind, string> = {
  night: 'Nuit (20 h – 8 h)',
  saturday_afternoon: 'Samedi après-midi',
  sunday: 'Dimanche (8 h – 20 h)',
  public_holiday: 'Jour férié (8 h – 20 h)',
  bridge_day: 'Jour de pont (8 h – 20 h)',
};

export interface PdsaStatus {
  inPdsa: boolean;
  department: string;
  timeZone: string;
  /** Local wall-clock time of the instant, "2026-12-24T21:15". */
  localTime: string;
  period: null | {
    kind: PdsaPeriodKind;
    label: string;
    /** Start and end as instants (ms) and as local wall-clock strings. */
    start: number;
    end: number;
    localStart: string;
    localEnd: string;
    holidayName?: string;
  };
}

const holidayCache = new Map<string, Map<string, string>>();

/** Public holidays of a department for a year: local ISO date → French name. */
export function publicHolidays(department: string, year: number): Map<string, string> {
  const key = `${department}:${year}`;
  let days = holidayCache.get(key);
  if (!days) {
    const region = departmentHolidayRegion(department);
    const hd = region ? new Holidays('FR', region) : new Holidays('FR');
    days = new Map();
    for (const h of hd.getHolidays(year)) {
      if (h.type === 'public') days.set(h.date.slice(0, 10), h.name);
    }
    holidayCache.set(key, days);
  }
  return days;
}

function isoDay(d: Date): string {
  return format(d, 'yyyy-MM-dd');
}

function holidayName(department: string, day: Date): string | undefined {
  return publicHolidays(department, day.getFullYear()).get(isoDay(day));
}

function isBridgeDay(department: string, day: Date, rules: DepartmentPdsaRules): boolean {
  if (rules.bridgeDays.includes(isoDay(day))) return true;
  if (!rules.autoBridgeDays || holidayName(department, day)) return false;
  const weekday = day.getDay();
  if (weekday === 1) return holidayName(department, addDays(day, 1)) !== undefined; // Monday before a Tuesday holiday
  if (weekday === 5) return holidayName(department, addDays(day, -1)) !== undefined; // Friday after a Thursday holiday
  if (weekday === 6) return holidayName(department, addDays(day, -2)) !== undefined; // Saturday after it
  return false;
}

function at(tz: string, day: Date, hour: number): TZDate {
  return new TZDate(day.getFullYear(), day.getMonth(), day.getDate(), hour, 0, 0, 0, tz);
}

export function pdsaAt(instant: number, department: string, rules: DepartmentPdsaRules = DEFAULT_PDSA_RULES): PdsaStatus {
  const tz = departmentTimeZone(department);
  const local = new TZDate(instant, tz);
  const hour = local.getHours();
  const base = { department, timeZone: tz, localTime: format(local, "yyyy-MM-dd'T'HH:mm") };
  const period = (kind: PdsaPeriodKind, start: TZDate, end: TZDate, name?: string): PdsaStatus => ({
    ...base,
    inPdsa: true,
    period: {
      kind,
      label: name ? `${PDSA_PERIOD_LABELS[kind]} — ${name}` : PDSA_PERIOD_LABELS[kind],
      start: start.getTime(),
      end: end.getTime(),
      localStart: format(start, "yyyy-MM-dd'T'HH:mm"),
      localEnd: format(end, "yyyy-MM-dd'T'HH:mm"),
      ...(name ? { holidayName: name } : {}),
    },
  });

  if (hour >= 20 || hour < 8) {
    const evening = hour >= 20 ? local : addDays(local, -1);
    return period('night', at(tz, evening, 20), at(tz, addDays(evening, 1), 8));
  }
  const holiday = holidayName(department, local);
  if (holiday) return period('public_holiday', at(tz, local, 8), at(tz, local, 20), holiday);
  if (local.getDay() === 0) return period('sunday', at(tz, local, 8), at(tz, local, 20));
  if (isBridgeDay(department, local, rules)) return period('bridge_day', at(tz, local, 8), at(tz, local, 20));
  if (local.getDay() === 6 && hour >= rules.saturdayStartHour) {
    return period('saturday_afternoon', at(tz, local, rules.saturdayStartHour), at(tz, local, 20));
  }
  return { ...base, inPdsa: false, period: null };
}
