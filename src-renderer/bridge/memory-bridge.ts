/** A bridge straight to an in-process core (renderer tests, contract tests). */
import type { Bridge } from '../../src-shared/contract/bridge';
import { createTypedBridge } from './typed-bridge';

export interface InProcessCore {
  registry: { call(method: unknown, params: unknown): Promise<unknown> };
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export function createMemoryBridge(core: InProcessCore): Bridge {
  return createTypedBridge(
    {
      // A structured clone, as IPC and WebSocket would do: no shared objects between core and UI.
      invoke: async (m, p) => structuredClone(await core.registry.call(m, structuredClone(p))),
      listen: (sink) => core.subscribe((e, payload) => sink(e, structuredClone(payload))),
    },
    'memory',
  );
}
