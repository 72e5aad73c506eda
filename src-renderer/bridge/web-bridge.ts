/**
 * The browser shell's bridge: the contract over a WebSocket to the web host that served the page.
 * Reconnects by itself; calls made while disconnected wait for the connection (bounded), then fail
 * with a typed "unavailable" error.
 */
import type { Bridge } from '../../src-shared/contract/bridge';
import { ServerFrameSchema } from '../../src-shared/contract/frames';
import { createTypedBridge } from './typed-bridge';

/** The subset of the WebSocket API used here (the browser's, or the `ws` package's in Node tests). */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WebBridgeOptions {
  url: string;
  createSocket?: WebSocketFactory;
  /** How long a call may wait for the connection before failing. */
  requestTimeoutMs?: number;
  onConnectionChange?: (connected: boolean) => void;
}

const OPEN = 1;

export interface WebBridge extends Bridge {
  close(): void;
  readonly connected: boolean;
}

export function createWebBridge(options: WebBridgeOptions): WebBridge {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  let socket: WebSocketLike | null = null;
  let closed = false;
  let connected = false;
  let nextId = 1;
  let retryDelay = 250;
  const pending = new Map<number, { resolve: (v: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  const queued: string[] = [];
  let sink: (event: string, payload: unknown) => void = () => {};

  const connect = () => {
    if (closed) return;
    const ws = createSocket(options.url);
    socket = ws;
    ws.addEventListener('open', () => {
      connected = true;
      retryDelay = 250;
      options.onConnectionChange?.(true);
      for (const frame of queued.splice(0)) ws.send(frame);
    });
    ws.addEventListener('message', (event) => {
      let frame;
      try {
        frame = ServerFrameSchema.parse(JSON.parse(String(event.data)));
      } catch {
        console.warn('trame illisible du cœur ignorée');
        return;
      }
      if (frame.type === 'event') sink(frame.name, frame.payload);
      else if (frame.id !== null) {
        const p = pending.get(frame.id);
        if (p) {
          clearTimeout(p.timer);
          pending.delete(frame.id);
          p.resolve(frame.result);
        }
      }
    });
    ws.addEventListener('close', () => {
      if (connected) options.onConnectionChange?.(false);
      connected = false;
      socket = null;
      if (!closed) {
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 5_000);
      }
    });
    ws.addEventListener('error', () => {
      /* 'close' follows and schedules the retry */
    });
  };
  connect();

  const transport = {
    invoke(method: string, params: unknown): Promise<unknown> {
      return new Promise((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'unavailable', message: 'Le cœur de l’application ne répond pas (délai dépassé).' } });
        }, timeoutMs);
        pending.set(id, { resolve, timer });
        const frame = JSON.stringify({ type: 'request', id, method, params });
        if (socket && socket.readyState === OPEN) socket.send(frame);
        else queued.push(frame);
      });
    },
    listen(s: (event: string, payload: unknown) => void) {
      sink = s;
      return () => {
        sink = () => {};
      };
    },
  };
  const bridge = createTypedBridge(transport, 'web');
  return {
    ...bridge,
    get connected() {
      return connected;
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
