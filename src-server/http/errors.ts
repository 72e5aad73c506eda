import type { z } from 'zod';
import { describeIssues } from '../../src-shared/contract/validate.js';

/** Every error answer has one shape: {error: {code, message, details?}}, message in French. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
export const body = (e: ApiError) => ({ error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } });

/** Validate a request's input; a clear 400 that names every problem otherwise. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, 'invalid_input', `Requête invalide : ${describeIssues(r.error)}`);
  return r.data;
}

/** A query string without the token a browser may pass there (the WebSocket cannot set headers). */
export function stripToken(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  const { token: _token, ...rest } = query as Record<string, unknown>;
  return rest;
}
