/** Validation helpers shared by every transport: an invalid message becomes a typed error, never a crash. */
import type { z } from 'zod';
import { err, ok, type Result } from '../domain/result.js';
import { events, type EventName, type EventPayload } from './events.js';
import { methods, type MethodName, type MethodOutput, type MethodParsedInput } from './methods.js';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')} : ${i.message}` : i.message))
    .join(' ; ');
}

export function parseInput<M extends MethodName>(method: M, params: unknown): Result<MethodParsedInput<M>> {
  const parsed = methods[method].input.safeParse(params ?? {});
  if (!parsed.success) {
    return err('invalid_input', `Paramètres invalides pour ${method} : ${describeIssues(parsed.error)}`, {
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
