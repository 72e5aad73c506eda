/**
 * The Electron IPC adapter: one request channel and one event channel carrying {method, params}.
 * Written against an IpcMainLike interface so that it is tested without the Electron binary.
 * Every request's sender frame is checked: only the app's own pages may call the core.
 */
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../src-shared/contract/bridge.js';
import { err, type Result } from '../../src-shared/domain/result.js';
import type { Registry } from '../core/registry.js';

export interface IpcInvokeEventLike {
  senderFrame: { url: string } | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}
export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** The app's pages are served from app://permanence (see security.ts); dev server only in development. */
export function isTrustedSenderUrl(url: string, devServerUrl?: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === 'app:' && u.host === 'permanence') return true;
    if (devServerUrl && u.origin === new URL(devServerUrl).origin) return true;
  } catch {
    return false;
  }
  return false;
}

export function registerIpc(
  ipcMain: IpcMainLike,
  registry: Registry,
  isTrusted: (url: string) => boolean,
): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, message): Promise<Result<unknown>> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrusted(url)) return err('forbidden', 'Appel refusé : page non autorisée.');
    if (typeof message !== 'object' || message === null) return err('invalid_frame', 'Requête illisible.');
    const { method, params } = message as { method?: unknown; params?: unknown };
    return registry.call(method, params);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
}

/** Forward core events to a window. */
export function forwardEvents(
  subscribe: (listener: (event: string, payload: unknown) => void) => () => void,
  target: WebContentsLike,
): () => void {
  return subscribe((event, payload) => {
    if (!target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, event, payload);
  });
}
