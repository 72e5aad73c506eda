/** Validation helpers shared by every transport: an invalid message becomes a typed error, never a crash. */
import type { z } from 'zod';
import { err, ok, type Result } from '../domain/result.js';
import { frenchIssue } from '../domain/screening-check.js';
import { events, type EventName, type EventPayload } from './events.js';
import { methods, type MethodName, type MethodOutput, type MethodParsedInput } from './methods.js';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** What users call the fields a path may end with (the rest of a path is technical). */
const FIELD_LABELS: Record<string, string> = {
  callbackPhone: 'numéro de rappel',
  lastName: 'nom',
  firstName: 'prénom',
  birthDate: 'date de naissance',
  address: 'adresse',
  accessNotes: 'accès',
  communeName: 'commune',
  inseeCode: 'commune',
  postalCode: 'code postal',
  reasonText: 'précisions',
  text: 'texte',
  reason: 'motif',
  comment: 'commentaire',
  place: 'lieu',
  pharmacy: 'pharmacie',
  effector: 'effecteur',
  destination: 'destination',
  appointmentAt: 'date et heure du rendez-vous',
  name: 'nom',
  login: 'identifiant',
  password: 'mot de passe',
  query: 'recherche',
};

/** For API clients and logs: each issue's path and its French message ("mutations.0.command.fields.reasonText : 500 caractères au plus"). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')} : ${frenchIssue(i)}` : frenchIssue(i)))
    .join(' ; ');
}

/** For users: issues said in French, with the field named as users know it (never zod's English nor a path). */
export function describeIssuesForUser(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const field = i.path.toReversed().find((p): p is string => typeof p === 'string' && p in FIELD_LABELS);
      return field ? `${FIELD_LABELS[field]} : ${frenchIssue(i)}` : frenchIssue(i);
    })
    .join(' ; ');
}

export function parseInput<M extends MethodName>(method: M, params: unknown): Result<MethodParsedInput<M>> {
  const parsed = methods[method].input.safeParse(params ?? {});
  if (!parsed.success) {
    return err('invalid_input', `Saisie refusée : ${describeIssuesForUser(parsed.error)}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return ok(parsed.data as MethodParsedInput<M>);
}

export function parseOutput<M extends MethodName>(method: M, value: unknown): Result<MethodOutput<M>> {
  const parsed = methods[method].output.safeParse(value);
  if (!parsed.success) return err('internal', `Réponse invalide de ${method} : ${describeIssues(parsed.error)}`);
  return ok(parsed.data as MethodOutput<M>);
}

export function parseEvent<E extends EventName>(name: E, payload: unknown): Result<EventPayload<E>> {
  const parsed = events[name].safeParse(payload);
  if (!parsed.success) return err('invalid_frame', `Événement ${name} invalide : ${describeIssues(parsed.error)}`);
  return ok(parsed.data as EventPayload<E>);
}
