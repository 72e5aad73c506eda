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
