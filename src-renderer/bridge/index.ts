/** Picks the bridge for the shell the renderer runs in; nothing else in the UI knows which one. */
import type { Bridge } from '../../src-shared/contract/bridge';
import { createPreloadBridge, findPreloadBridge } from './preload-bridge';
import { createWebBridge } from './web-bridge';

export function connectBridge(onConnectionChange?: (connected: boolean) => void): Bridge {
  const preload = findPreloadBridge();
  if (preload) return createPreloadBridge(preload);
  const token = document.querySelector<HTMLMetaElement>('meta[name="permanence-token"]')?.content ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/bridge?token=${encodeURIComponent(token)}`;
  return createWebBridge({ url, onConnectionChange });
}
