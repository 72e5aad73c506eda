import type { CaseSummary, RegulationCase } from '../schemas/case.js';

/** "DUPONT Jeanne", or null when no name was given. */
export function personName(lastName: string | undefined, firstName: string | undefined): string | null {
  const name = [lastName?.toUpperCase(), firstName].filter(Boolean).join(' ');
  return name === '' ? null : name;
}

export function patientDisplayName(c: RegulationCase): string | null {
  return personName(c.fields.patient?.lastName, c.fields.patient?.firstName);
}

/** The flat view of a case that queues and searches list. */
export function summaryOf(c: RegulationCase): CaseSummary {
  const p = c.fields.patient;
  return {
    id: c.id,
    reference: c.reference,
    status: c.status,
    priority: c.fields.priority ?? null,
    track: c.track ?? null,
    openedAt: c.openedAt,
    waitingSince: c.status === 'waiting_regulation' ? (c.waitingSince ?? null) : null,
    updatedAt: c.updatedAt,
    callbackPhone: c.fields.callbackPhone ?? null,
    patientName: patientDisplayName(c),
    patientSex: p?.sex ?? null,
    patientBirthDate: p?.birthDate ?? null,
    patientAgeYears: p?.ageYears ?? null,
    communeName: c.fields.location?.communeName ?? null,
    reasonCode: c.fields.reasonCode ?? null,
    takenByName: c.takenBy?.displayName ?? null,
    decisionCode: c.decision?.code ?? null,
    sectorId: c.fields.location?.sectorId ?? null,
    hubState: c.hub ? (c.hub.handOver ?? 'shared') : null,
  };
}
