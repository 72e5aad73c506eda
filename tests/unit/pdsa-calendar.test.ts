import { describe, expect, it } from 'vitest';
import { TZDate } from '@date-fns/tz';
import { pdsaAt, publicHolidays, type DepartmentPdsaRules } from '../../src-shared/domain/pdsa-calendar.js';

/** An instant given as Paris wall-clock time. */
const paris = (y: number, mo: number, d: number, h: number, mi = 0) =>
  new TZDate(y, mo - 1, d, h, mi, 0, 0, 'Europe/Paris').getTime();

describe('PDSA calendar — boundaries', () => {
  // 2026-11-20 is a Friday, 2026-11-21 a Saturday, 2026-11-23 a Monday (no holidays around).
  it('Friday 19:59 is outside PDSA, 20:00 starts the night', () => {
    expect(pdsaAt(paris(2026, 11, 20, 19, 59), '21').inPdsa).toBe(false);
    const night = pdsaAt(paris(2026, 11, 20, 20, 0), '21');
    expect(night.period?.kind).toBe('night');
    expect(night.period?.localStart).toBe('2026-11-20T20:00');
    expect(night.period?.localEnd).toBe('2026-11-21T08:00');
  });

  it('Saturday 11:59 is outside PDSA, 12:00 starts Saturday afternoon (14:00 where the department says so)', () => {
    expect(pdsaAt(paris(2026, 11, 21, 11, 59), '21').inPdsa).toBe(false);
    const sat = pdsaAt(paris(2026, 11, 21, 12, 0), '21');
    expect(sat.period?.kind).toBe('saturday_afternoon');
    expect(sat.period?.localEnd).toBe('2026-11-21T20:00');
    const later: DepartmentPdsaRules = { saturdayStartHour: 14, bridgeDays: [], autoBridgeDays: false };
    expect(pdsaAt(paris(2026, 11, 21, 13, 59), '21', later).inPdsa).toBe(false);
    expect(pdsaAt(paris(2026, 11, 21, 14, 0), '21', later).period?.kind).toBe('saturday_afternoon');
  });

  it('Monday 07:59 is still the Sunday night, 08:00 ends PDSA', () => {
    const lastMinute = pdsaAt(paris(2026, 11, 23, 7, 59), '21');
    expect(lastMinute.period?.kind).toBe('night');
    expect(lastMinute.period?.localStart).toBe('2026-11-22T20:00');
    expect(pdsaAt(paris(2026, 11, 23, 8, 0), '21').inPdsa).toBe(false);
  });

  it('Sunday daytime is PDSA', () => {
    expect(pdsaAt(paris(2026, 11, 22, 10, 0), '21').period?.kind).toBe('sunday');
  });

  it('Easter Monday daytime is a public holiday everywhere', () => {
    // Easter 2026 is 5 April, Easter Monday 6 April.
    const s = pdsaAt(paris(2026, 4, 6, 10, 0), '75');
    expect(s.period?.kind).toBe('public_holiday');
    expect(s.period?.holidayName).toMatch(/Pâques/);
  });

  it('Good Friday is a holiday in 57, 67 and 68 only', () => {
    const goodFriday = paris(2026, 4, 3, 10, 0);
    for (const d of ['57', '67', '68']) expect(pdsaAt(goodFriday, d).period?.kind).toBe('public_holiday');
    for (const d of ['54', '75', '21', '88']) expect(pdsaAt(goodFriday, d).inPdsa).toBe(false);
  });

  it('26 December is a holiday in Alsace-Moselle only', () => {
    // 2025-12-26 is a Friday.
    const stStephen = paris(2025, 12, 26, 15, 0);
    expect(pdsaAt(stStephen, '67').period?.kind).toBe('public_holiday');
    expect(pdsaAt(stStephen, '57').period?.kind).toBe('public_holiday');
    expect(pdsaAt(stStephen, '21').inPdsa).toBe(false);
  });

  it('bridge days: explicit dates, and the automatic rule when enabled', () => {
    // Ascension 2026 is Thursday 14 May: Friday 15 May is the bridge day.
    const friday = paris(2026, 5, 15, 9, 0);
    expect(pdsaAt(friday, '21').inPdsa).toBe(false);
    expect(pdsaAt(friday, '21', { saturdayStartHour: 12, bridgeDays: ['2026-05-15'], autoBridgeDays: false }).period?.kind).toBe('bridge_day');
    const auto: DepartmentPdsaRules = { saturdayStartHour: 12, bridgeDays: [], autoBridgeDays: true };
    expect(pdsaAt(friday, '21', auto).period?.kind).toBe('bridge_day');
    // The Saturday after it is PDSA from 08:00 rather than noon.
    expect(pdsaAt(paris(2026, 5, 16, 9, 0), '21', auto).period?.kind).toBe('bridge_day');
    // An ordinary Friday stays a working day under the automatic rule.
    expect(pdsaAt(paris(2026, 11, 20, 9, 0), '21', auto).inPdsa).toBe(false);
  });

  it('the night across the daylight-saving change still ends at 08:00 local time', () => {
    // 2026-03-29: clocks go from 02:00 to 03:00 in Paris; the night lasts 11 hours.
    const s = pdsaAt(paris(2026, 3, 29, 4, 0), '21');
    expect(s.period?.kind).toBe('night');
    expect((s.period!.end - s.period!.start) / 3_600_000).toBe(11);
  });

  it('overseas departments use their own wall clock and holidays', () => {
    // 20:30 in Martinique is 00:30 UTC the next day; 22 May is abolition day there.
    const s = pdsaAt(Date.UTC(2026, 4, 22, 14, 0), '972'); // 10:00 in Martinique
    expect(s.timeZone).toBe('America/Martinique');
    expect(s.localTime).toBe('2026-05-22T10:00');
    expect(s.period?.kind).toBe('public_holiday');
    expect(pdsaAt(Date.UTC(2026, 4, 22, 14, 0), '21').inPdsa).toBe(false);
  });

  it('lists only public holidays (no observances such as Mothers’ Day)', () => {
    const names = [...publicHolidays('21', 2026).values()];
    expect(names).toHaveLength(11);
    expect(names.join()).not.toMatch(/Mères|Pentecôte observance/);
  });
});
