import { describe, expect, it } from 'vitest';
import { findRepeatCalls, patientKey, suggestPriority, type RepeatProbe } from '../../src-shared/domain/repeat-callers.js';
import type { CaseSummary } from '../../src-shared/schemas/case.js';
import { makeSummary } from '../fixtures/case-summary.js';

const NOW = Date.UTC(2026, 10, 25, 22, 0);
const H = 3600_000;
let n = 0;
function summary(over: Partial<CaseSummary>): CaseSummary {
  n += 1;
  return makeSummary(n, { status: 'closed', openedAt: NOW - H, waitingSince: null, updatedAt: NOW - H, reasonCode: 'FEVER', decisionCode: 'PHONE_ADVICE', ...over });
}
const probe = (over: Partial<RepeatProbe> = {}): RepeatProbe => ({ at: NOW, callbackPhone: '+33612345678', patientName: 'MARTIN Jeanne', patientBirthDate: '1950-03-02', ...over });

describe('repeat callers', () => {
  it('matches the same callback number within 72 hours, and not at 72 hours and one minute', () => {
    const inside = summary({ callbackPhone: '+33612345678', openedAt: NOW - 72 * H });
    const outside = summary({ callbackPhone: '+33612345678', openedAt: NOW - 72 * H - 60_000 });
    const other = summary({ callbackPhone: '+33699999999', openedAt: NOW - H });
    const found = findRepeatCalls(probe({ patientName: null }), [inside, outside, other]);
    expect(found.map((r) => r.summary.id)).toEqual([inside.id]);
    expect(found[0]!.matches).toEqual(['phone']);
    expect(found[0]!.within24h).toBe(false);
  });

  it('matches the same patient by name and birth date, accents and case ignored, from another number', () => {
    const same = summary({ patientName: 'MARTIN Jéanne', patientBirthDate: '1950-03-02', callbackPhone: '+33311111111', openedAt: NOW - 30 * H });
    const namesake = summary({ patientName: 'MARTIN Jeanne', patientBirthDate: '1951-03-02', openedAt: NOW - 2 * H });
    const found = findRepeatCalls(probe(), [same, namesake]);
    expect(found.map((r) => r.summary.id)).toEqual([same.id]);
    expect(found[0]!.matches).toEqual(['patient']);
  });

  it('a name without a birth date matches nobody (too many namesakes)', () => {
    expect(patientKey('MARTIN Jeanne', null)).toBeNull();
    const c = summary({ patientName: 'MARTIN Jeanne', patientBirthDate: null });
    expect(findRepeatCalls(probe({ callbackPhone: null, patientBirthDate: null }), [c])).toEqual([]);
  });

  it('lists both reasons when number and patient match, most recent first, never the case itself', () => {
    const self = summary({ callbackPhone: '+33612345678', openedAt: NOW });
    const older = summary({ callbackPhone: '+33612345678', openedAt: NOW - 50 * H });
    const both = summary({ callbackPhone: '+33612345678', patientName: 'MARTIN Jeanne', patientBirthDate: '1950-03-02', openedAt: NOW - 3 * H });
    const found = findRepeatCalls(probe({ caseId: self.id }), [older, self, both, both]);
    expect(found.map((r) => r.summary.id)).toEqual([both.id, older.id]);
    expect(found[0]!.matches).toEqual(['phone', 'patient']);
    expect(found[0]!.within24h).toBe(true);
  });

  it('a case opened a few minutes "after" the probe (another workstation’s clock) still counts', () => {
    const skewed = summary({ callbackPhone: '+33612345678', openedAt: NOW + 2 * 60_000 });
    expect(findRepeatCalls(probe(), [skewed])).toHaveLength(1);
  });
});

describe('priority suggestion', () => {
  it('starts from the reason’s usual priority', () => {
    expect(suggestPriority('FEVER', [])).toMatchObject({ priority: 'P3', raisedForRepeat: false });
    expect(suggestPriority('CHEST_PAIN', [])).toMatchObject({ priority: 'P1', raisedForRepeat: false });
    expect(suggestPriority(null, [])).toBeNull();
  });

  it('a repeat within 24 hours raises it by one level and says why; an older repeat does not', () => {
    const recent = findRepeatCalls(probe(), [summary({ callbackPhone: '+33612345678', openedAt: NOW - 23 * H, reference: '21-0042' })]);
    const old = findRepeatCalls(probe(), [summary({ callbackPhone: '+33612345678', openedAt: NOW - 25 * H })]);
    const raised = suggestPriority('FEVER', recent)!;
    expect(raised).toMatchObject({ priority: 'P2', raisedForRepeat: true });
    expect(raised.reason).toContain('21-0042');
    expect(suggestPriority('FEVER_CHILD', recent)).toMatchObject({ priority: 'P1', raisedForRepeat: true });
    expect(suggestPriority('FEVER', old)).toMatchObject({ priority: 'P3', raisedForRepeat: false });
  });

  it('never suggests P0 on its own: P1 stays P1', () => {
    const recent = findRepeatCalls(probe(), [summary({ callbackPhone: '+33612345678', openedAt: NOW - H })]);
    expect(suggestPriority('DYSPNOEA', recent)).toMatchObject({ priority: 'P1', raisedForRepeat: false });
    expect(suggestPriority('CARDIAC_ARREST', recent)).toMatchObject({ priority: 'P0' });
  });
});
