/** One invalid field never keeps the others of its section from being recorded; messages in French. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkScreeningFields, frenchIssue } from '../../src-shared/domain/screening-check.js';
import { ScreeningFieldsSchema } from '../../src-shared/schemas/case.js';

const today = '2026-12-02';

describe('screening fields checked one by one', () => {
  it('keeps the patient’s name when the birth date is in the future, and says so on the date', () => {
    const r = checkScreeningFields({ patient: { lastName: 'Dupont', firstName: 'Jeanne', birthDate: '2027-01-01' } }, today);
    expect(r.valid).toEqual({ patient: { lastName: 'Dupont', firstName: 'Jeanne' } });
    expect(r.problems).toEqual({ 'patient.birthDate': 'date dans le futur' });
  });

  it('records the rest when the callback number is not a number ("123")', () => {
    const r = checkScreeningFields({ callbackPhone: '123', reasonCode: 'FEVER', patient: { lastName: 'Martin' } }, today);
    expect(r.valid).toEqual({ reasonCode: 'FEVER', patient: { lastName: 'Martin' } });
    expect(Object.keys(r.problems)).toEqual(['callbackPhone']);
    expect(r.problems.callbackPhone).toMatch(/numéro invalide/);
  });

  it('refuses a 5,000-character text with a French message naming the limit, and keeps the others', () => {
    const r = checkScreeningFields({ reasonText: 'a'.repeat(5000), location: { address: '12 rue des Forges', accessNotes: 'b'.repeat(600) } }, today);
    expect(r.valid).toEqual({ location: { address: '12 rue des Forges' } });
    expect(r.problems).toEqual({ reasonText: '500 caractères au plus', 'location.accessNotes': '500 caractères au plus' });
  });

  it('passes every valid form whole, in the shape the schema accepts', () => {
    const fields = { callbackPhone: '06 12 34 56 78', patient: { lastName: 'Dupont', birthDate: '1950-03-02', sex: 'F' }, reasonText: 'fièvre', priority: 'P2' };
    const r = checkScreeningFields(fields, today);
    expect(r.problems).toEqual({});
    expect(r.valid).toEqual(fields);
    expect(ScreeningFieldsSchema.safeParse(r.valid).success).toBe(true);
  });

  it('never shows zod’s English', () => {
    const issues = [
      ...z.string().max(3).safeParse('abcdef').error!.issues,
      ...z.string().min(2).safeParse('a').error!.issues,
      ...z.iso.date().safeParse('2026-13-45').error!.issues,
      ...z.enum(['a', 'b']).safeParse('c').error!.issues,
      ...z.number().safeParse('x').error!.issues,
    ];
    for (const i of issues) expect(frenchIssue(i)).not.toMatch(/Too|Invalid|expected|characters/);
  });
});
