/**
 * How long the doctor who accepted a visit may read the patient's identity: while the request is
 * the case's way forward, and a bounded time after. It ends when the case is cancelled, when the
 * case was decided otherwise (another decision, or another request's appointment), and
 * `hoursAfter` hours after the appointment (or after the acceptance when no time was set).
 */
import type { RegulationCase } from '../schemas/case.js';

export const DEFAULT_IDENTITY_HOURS = 12;

/** Why the identity is no longer shown (French, for the doctor), or null while it is. */
export function identityAccessEnded(c: RegulationCase, requestId: string, acceptedAt: number, now: number, hoursAfter = DEFAULT_IDENTITY_HOURS): string | null {
  if (c.status === 'cancelled') return 'Accès à l’identité terminé : le dossier a été annulé.';
  const d = c.decision;
  if (d && d.requestId !== requestId) return 'Accès à l’identité terminé : le médecin régulateur a pris une autre décision.';
  const from = d?.appointmentAt ?? acceptedAt;
  if (now > from + hoursAfter * 3600_000) return `Accès à l’identité terminé : ${hoursAfter} h après la visite.`;
  return null;
}
