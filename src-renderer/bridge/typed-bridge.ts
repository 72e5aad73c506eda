/**
 * Turns an untyped transport (send a method + params, receive a result; receive named events) into
 * the typed Bridge. Whatever arrives is validated: a malformed result becomes a typed error, an
 * unknown or malformed event is dropped and reported, never thrown into the UI.
 */
import type { Bridge } from '../../src-shared/contract/bridge';
import type { EventName, EventPayload } from '../../src-shared/contract/events';
import { ResultSchema } from '../../src-shared/contract/frames';
import { isEventName, parseEvent } from '../../src-shared/contract/validate';
import type { Result } from '../../src-shared/domain/result';

export interface RawTransport {
  invoke(method: string, params: unknown): Promise<unknown>;
  /** Register the single event sink; returns a function that removes it. */
  listen(sink: (event: string, payload: unknown) => void): () => void;
}

export function createTypedBridge(transport: RawTransport, kind: Bridge['kind'], onInvalid: (why: string) => void = console.warn): Bridge {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  transport.listen((event, payload) => {
    if (!isEventName(event)) return onInvalid(`événement inconnu : ${event}`);
    const parsed = parseEvent(event, payload);
    if (!parsed.ok) return onInvalid(parsed.error.message);
    for (const l of listeners.get(event) ?? []) (l as (p: unknown) => void)(parsed.value);
  });
  return {
    kind,
    async invoke(method, params) {
      let raw: unknown;
      try {
        raw = await transport.invoke(method, params);
      } catch (error) {
        return { ok: false, error: { code: 'unavailable', message: `Le cœur de l’application ne répond pas (${String(error)}).` } };
      }
      const parsed = ResultSchema.safeParse(raw);
      if (!parsed.success) return { ok: false, error: { code: 'invalid_frame', message: `Réponse illisible pour ${method}.` } };
      return parsed.data as Result<never>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
}
