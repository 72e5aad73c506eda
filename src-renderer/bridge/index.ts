/** Picks the bridge for the shell the renderer runs in; nothing else in the UI knows which one. */
import type { Bridge } from '../../src-shared/contract/bridge';
import { createPreloadBridge, findPreloadBridge } from './preload-bridge';
import { createWebBridge } from './web-bridge';

export function connectBridge(onConnectionChange?: (connected: boolean) => void): Bridge {
  const preload = findPreloadBridge();
  if (preload) return createPreloadBridge(preload);
  // The host's HttpOnly cookie (given for the launch link) authenticates the socket: no secret in the page.
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/bridge`;
  return createWebBridge({ url, onConnectionChange });
}
