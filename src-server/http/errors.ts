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
