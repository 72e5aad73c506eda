/** A screening field's value as a regulator reads it in the case's history ("06 12 34 56 78", "MOREAU Jean, 67 ans"). */
import { CALLER_RELATIONSHIP_LABELS, LINE_LABELS, REASONS, SEX_LABELS } from '../../../src-shared/domain/codes';
import { personName } from '../../../src-shared/domain/case-summary';
import type { ScreeningFields } from '../../../src-shared/schemas/case';
import { displayNumber } from '../../ui/labels';

type Fields = Required<ScreeningFields>;

/** Each screening field's name, as the history and the Hub panel say it. */
export const FIELD_LABELS: Record<string, string> = {
  line: 'ligne',
  callbackPhone: 'numéro de rappel',
  caller: 'appelant',
  patient: 'patient',
  location: 'localisation',
  reasonCode: 'motif',
  reasonText: 'précisions',
  priority: 'priorité',
  treatingDoctor: 'médecin traitant',
  reportConsent: 'accord pour le compte rendu',
};

export function fieldValueText<K extends keyof ScreeningFields>(field: K, value: ScreeningFields[K]): string {
  if (value === undefined || value === '') return 'vide';
  const v = value as Fields[K];
  switch (field) {
    case 'line':
      return LINE_LABELS[v as Fields['line']];
    case 'callbackPhone':
      return displayNumber(v as string);
    case 'caller': {
      const c = v as Fields['caller'];
      return [c.name, CALLER_RELATIONSHIP_LABELS[c.relationship]].filter(Boolean).join(', ');
    }
    case 'patient': {
      const p = v as Fields['patient'];
      const age = p.birthDate ? `né(e) le ${p.birthDate.split('-').toReversed().join('/')}` : p.ageYears !== undefined ? `${p.ageYears} ans` : null;
      return [personName(p.lastName, p.firstName), age, p.sex ? SEX_LABELS[p.sex] : null].filter(Boolean).join(', ') || 'vide';
    }
    case 'location': {
      const l = v as Fields['location'];
      return [l.address, [l.postalCode, l.communeName].filter(Boolean).join(' '), l.accessNotes ? `accès : ${l.accessNotes}` : null].filter(Boolean).join(', ') || 'vide';
    }
    case 'reasonCode':
      return REASONS[v as Fields['reasonCode']].label;
    case 'reasonText':
      return `« ${v as string} »`;
    case 'treatingDoctor':
      return (v as Fields['treatingDoctor']).name;
    case 'reportConsent':
      return v ? 'oui' : 'non';
    default:
      return String(v);
  }
}
