/** French labels for the codified values the UI shows. */
import { format } from 'date-fns';
import { fr } from 'date-fns/locale';
import { canonicalPhone, displayPhone } from '../../src-shared/text/phone';
import { LINE_LABELS, PRIORITY_LABELS, REASONS, ROLE_LABELS, SEX_LABELS, STATUS_LABELS, type ReasonCode } from '../../src-shared/domain/codes';

export { LINE_LABELS, PRIORITY_LABELS, ROLE_LABELS, SEX_LABELS, STATUS_LABELS };

/** What the header has room for. */
export const ROLE_SHORT_LABELS = { arm: 'ARM', physician: 'Médecin régulateur', supervisor: 'Superviseur', admin: 'Administrateur', hub: 'Hub Santé' } as const;

/** Whoever the access audit and the sessions list name: a role of the center, or an effector doctor. */
export const principalRoleLabel = (role: string): string =>
  role === 'effector' ? 'Médecin effecteur' : (ROLE_SHORT_LABELS[role as keyof typeof ROLE_SHORT_LABELS] ?? role);

/** A workstation as the screens name it ("poste 6b9eb6"); the effector's phone page by its name. */
export const workstationLabel = (id: string): string => (id === 'effector-page' ? 'page effecteur' : `poste ${id.slice(-6)}`);


export const reasonLabel = (code: ReasonCode | null | undefined) => (code ? REASONS[code].label : '—');

/** "12 min", "1 h 05" — how long a case has waited. */
export function waitingTime(since: number, now: number): string {
  const minutes = Math.max(0, Math.floor((now - since) / 60_000));
  // No-break spaces: "12 min" and "1 h 05" never split over two lines.
  if (minutes < 60) return `${minutes}\u00a0min`;
  return `${Math.floor(minutes / 60)}\u00a0h\u00a0${String(minutes % 60).padStart(2, '0')}`;
}

export function ageLabel(birthDate: string | null, ageYears: number | null, now: number): string {
  if (birthDate) {
    const b = new Date(birthDate + 'T00:00:00Z');
    const n = new Date(now);
    let age = n.getUTCFullYear() - b.getUTCFullYear();
    if (n.getUTCMonth() < b.getUTCMonth() || (n.getUTCMonth() === b.getUTCMonth() && n.getUTCDate() < b.getUTCDate())) age--;
    return `${age} ans`;
  }
  return ageYears === null ? '' : `${ageYears} ans`;
}

/** "jeu. 26 nov. 10:00": a slot or an appointment, its day written out (a day/month swap cannot go unseen). */
export const dayAndTime = (ms: number) => format(new Date(ms), 'EEE d MMM HH:mm', { locale: fr });
/** The value of a datetime-local input for `ms`, on this screen's clock. */
export function toLocalInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
export const timeOfDay = (ms: number) => new Date(ms).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
/** "26/11 08:33:44": a trace (history, journal, accesses), to the second. */
export const dateTime = (ms: number) =>
  new Date(ms).toLocaleString('fr-FR', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** "26/11 08:33": when a decision was taken, as a regulator reads it. */
export const dateTimeToMinute = (ms: number) => new Date(ms).toLocaleString('fr-FR', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
/** "mer. 2 déc. 2026, 19:48": an appointment, its day written out so that a day/month swap cannot go unseen (as the date fields show it). */
export const writtenDateTime = (ms: number) => format(new Date(ms), 'EEE d MMM yyyy, HH:mm', { locale: fr });

/** "1:05" — a call's length. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A caller as shown: a phone number in its national form, or the SIP name as is. */
export function displayNumber(remote: string): string {
  const c = canonicalPhone(remote);
  return c ? displayPhone(c) : remote;
}
