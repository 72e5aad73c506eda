import { describe, expect, it } from 'vitest';
import { identityAccessEnded } from '../../src-shared/domain/effector-identity.js';
import type { RegulationCase } from '../../src-shared/schemas/case.js';

const H = 3600_000;
const base = { status: 'decided' } as RegulationCase;

describe('how long the accepting effector reads the patient’s identity', () => {
  it('while the request is the way forward, until 12 h after the visit', () => {
    const visit = { ...base, decision: { requestId: 'r1', appointmentAt: 10 * H } } as unknown as RegulationCase;
    expect(identityAccessEnded(visit, 'r1', 9 * H, 11 * H)).toBeNull();
    expect(identityAccessEnded(visit, 'r1', 9 * H, 22 * H - 1)).toBeNull();
    expect(identityAccessEnded(visit, 'r1', 9 * H, 22 * H + 1)).toBe('Accès à l’identité terminé : 12 h après la visite.');
    // Accepted, no decision yet: counted from the acceptance.
    expect(identityAccessEnded({ ...base, status: 'under_regulation' } as RegulationCase, 'r1', 9 * H, 20 * H)).toBeNull();
    expect(identityAccessEnded({ ...base, status: 'under_regulation' } as RegulationCase, 'r1', 9 * H, 22 * H)).toMatch(/12 h après/);
  });

  it('ends at once when the case was decided otherwise or cancelled', () => {
    const other = { ...base, decision: { code: 'advice' } } as unknown as RegulationCase;
    expect(identityAccessEnded(other, 'r1', 0, 1)).toBe('Accès à l’identité terminé : le médecin régulateur a pris une autre décision.');
    const otherRequest = { ...base, decision: { requestId: 'r2' } } as unknown as RegulationCase;
    expect(identityAccessEnded(otherRequest, 'r1', 0, 1)).toMatch(/autre décision/);
    expect(identityAccessEnded({ ...base, status: 'cancelled' } as RegulationCase, 'r1', 0, 1)).toBe('Accès à l’identité terminé : le dossier a été annulé.');
  });
});
