/** Wire frames of the web bridge (WebSocket between the renderer and the web host). */
import { z } from 'zod';

export const RequestFrameSchema = z.strictObject({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.string().max(100),
  params: z.unknown(),
});
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

const ErrorSchema = z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() });
export const ResultSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ErrorSchema }),
]);

export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('response'), id: z.number().int().nullable(), result: ResultSchema }),
  z.strictObject({ type: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** Largest request frame the web host accepts. */
export const MAX_FRAME_BYTES = 256 * 1024;
