/**
 * What the renderer holds: one Bridge, whichever shell it runs in (Electron preload, web host over
 * WebSocket, or memory in tests). Errors are values.
 */
import type { Result } from '../domain/result.js';
import type { EventName, EventPayload } from './events.js';
import type { MethodInput, MethodName, MethodOutput } from './methods.js';

export interface Bridge {
  invoke<M extends MethodName>(method: M, params: MethodInput<M>): Promise<Result<MethodOutput<M>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Where the bridge goes: 'electron' | 'web' | 'memory'. For display and diagnostics only. */
  readonly kind: 'electron' | 'web' | 'memory';
}

/** The untyped shape the Electron preload exposes on window (validated on both sides). */
export interface RawBridge {
  invoke(method: string, params: unknown): Promise<unknown>;
  on(listener: (event: string, payload: unknown) => void): () => void;
}

export const PRELOAD_GLOBAL = 'permanenceBridge';
export const IPC_INVOKE_CHANNEL = 'permanence:invoke';
export const IPC_EVENT_CHANNEL = 'permanence:event';
