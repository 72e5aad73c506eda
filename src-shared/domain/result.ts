/** Errors are values across every boundary: `{ok: true, value}` or `{ok: false, error}`. */
export type Result<T, E = AppError> = { ok: true; value: T } | { ok: false; error: E };

export const ERROR_CODES = [
  'invalid_input',
  'invalid_frame',
  'unknown_method',
  'not_logged_in',
  /** The account has a second factor: ask for the authenticator app's code and log in again with it. */
  'second_factor_required',
  'forbidden',
  'not_found',
  'invalid_transition',
  'incomplete',
  'conflict',
  'already_taken',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppError {
  code: ErrorCode;
  /** French, for the user. */
  message: string;
  details?: unknown;
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = (code: ErrorCode, message: string, details?: unknown): Result<never> => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
