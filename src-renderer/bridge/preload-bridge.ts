/** The Electron shell's bridge: the preload exposes an untyped invoke/on; this types and validates it. */
import { PRELOAD_GLOBAL, type Bridge, type RawBridge } from '../../src-shared/contract/bridge';
import { createTypedBridge } from './typed-bridge';

export function findPreloadBridge(): RawBridge | undefined {
  return (globalThis as unknown as Record<string, RawBridge | undefined>)[PRELOAD_GLOBAL];
}

export function createPreloadBridge(raw: RawBridge): Bridge {
  return createTypedBridge({ invoke: (m, p) => raw.invoke(m, p), listen: (sink) => raw.on(sink) }, 'electron');
}
