/**
 * The browser shell's host: plain Node, no Electron. Serves the built renderer and carries the
 * contract over WebSocket on 127.0.0.1. A new local attack surface, so:
 *   - loopback only, and the Host header must name this host (no DNS rebinding);
 *   - the page is opened by a one-time launch link (`launchUrl()`, given to the browser by whoever
 *     started the host): its secret is exchanged once for an HttpOnly, SameSite=Strict cookie and
 *     is then spent; nothing secret is ever written into the page;
 *   - the bridge's WebSocket requires that cookie, the host's own Origin and Host;
 *   - a malformed address answers 400, never 500.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES, RequestFrameSchema, type ServerFrame } from '../../src-shared/contract/frames.js';
import { describeIssues } from '../../src-shared/contract/validate.js';
import { contentSecurityPolicy } from '../../src-shared/contract/csp.js';
import type { Registry } from '../core/registry.js';

export interface HostedCore {
  registry: Registry;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
  /** Other origins the page may connect to (the telephony server). */
  connectOrigins?(): string[];
}

export interface WebHostOptions {
  core: HostedCore;
  /** Built renderer (index.html + assets). */
  staticDir: string;
  port?: number;
  host?: string;
  log?: (message: string) => void;
}

export interface WebHost {
  url: string;
  port: number;
  /** A new one-time link that opens the workstation in a browser (at `path`, default "/"). */
  launchUrl(path?: string): string;
  server: Server;
  close(): Promise<void>;
}

const COOKIE = 'permanence_bridge';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
};

/** The strict CSP of the browser shell: own origin, WebSocket to itself, and the named SIP servers. */
export function browserShellCsp(origin: string, extra: readonly string[] = []): string {
  return contentSecurityPolicy([origin.replace(/^http/, 'ws'), ...extra]);
}

/** Whether `given` is one of `known`, compared in constant time. */
function knownSecret(known: Iterable<string>, given: string): string | null {
  const g = Buffer.from(given);
  for (const k of known) {
    const x = Buffer.from(k);
    if (x.length === g.length && timingSafeEqual(x, g)) return k;
  }
  return null;
}

function cookieOf(req: IncomingMessage): string {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return '';
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1';
  const staticRoot = resolve(options.staticDir);
  const log = options.log ?? (() => {});
  let origin = '';
  let allowedOrigins = new Set<string>();
  let allowedHosts = new Set<string>();
  /** One-time launch secrets not yet spent. */
  const launches = new Set<string>();
  /** Cookies given in exchange for a launch secret. */
  const cookies = new Set<string>();

  /** The request's address, or null when it is not one (malformed, or not for this host). */
  const parse = (req: IncomingMessage): URL | null => {
    if (!allowedHosts.has(req.headers.host ?? '')) return null;
    try {
      const url = new URL(req.url ?? '/', origin);
      decodeURIComponent(url.pathname);
      return url;
    } catch {
      return null;
    }
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    // A launch link: its secret is spent for a cookie, and the address loses it.
    const launch = url.searchParams.get('launch');
    if (launch !== null) {
      const known = knownSecret(launches, launch);
      if (!known) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Lien de lancement invalide ou déjà utilisé : rouvrez le poste depuis son lanceur.');
        return;
      }
      launches.delete(known);
      const cookie = randomBytes(32).toString('base64url');
      cookies.add(cookie);
      url.searchParams.delete('launch');
      res
        .writeHead(303, {
          Location: `${url.pathname}${url.search}`,
          'Set-Cookie': `${COOKIE}=${cookie}; HttpOnly; SameSite=Strict; Path=/`,
          'Cache-Control': 'no-store',
        })
        .end();
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    // Client-side routes (/, /wall, …) all get the app's index.html.
    if (rel === '/' || !extname(rel)) rel = '/index.html';
    const file = normalize(join(staticRoot, rel));
    if (!file.startsWith(staticRoot + sep)) {
      res.writeHead(403).end('Interdit');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      let body: Buffer | string = await readFile(file);
      const headers: Record<string, string> = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
      };
      if (extname(file) === '.html') {
        // The page opens only for a browser that came by a launch link (its cookie).
        if (!knownSecret(cookies, cookieOf(req))) {
          res
            .writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
            .end('Ouvrez le poste par son lien de lancement (donné au démarrage du poste).');
          return;
        }
        headers['Content-Security-Policy'] = browserShellCsp(origin, options.core.connectOrigins?.() ?? []);
      }
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Introuvable');
    }
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const url = parse(req);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Requête invalide.');
      return;
    }
    serveStatic(req, res, url).catch(() => res.writeHead(500).end());
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = parse(req);
    const reqOrigin = req.headers.origin ?? '';
    if (!url || url.pathname !== '/bridge' || !allowedOrigins.has(reqOrigin) || !knownSecret(cookies, cookieOf(req))) {
      log(`refused bridge connection (origin ${JSON.stringify(reqOrigin)}, host ${JSON.stringify(req.headers.host ?? '')}, path ${url?.pathname ?? '?'})`);
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveBridge(ws));
  });

  const serveBridge = (ws: WebSocket) => {
    const send = (frame: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const unsubscribe = options.core.subscribe((name, payload) => send({ type: 'event', name, payload }));
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.close());
    ws.on('message', async (data, isBinary) => {
      let json: unknown;
      try {
        if (isBinary) throw new Error('binary');
        json = JSON.parse(data.toString());
      } catch {
        send({ type: 'response', id: null, result: { ok: false, error: { code: 'invalid_frame', message: 'Trame illisible (JSON attendu).' } } });
        return;
      }
      const frame = RequestFrameSchema.safeParse(json);
      if (!frame.success) {
        const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : null;
        send({ type: 'response', id, result: { ok: false, error: { code: 'invalid_frame', message: `Trame invalide : ${describeIssues(frame.error)}` } } });
        return;
      }
      const result = await options.core.registry.call(frame.data.method, frame.data.params);
      send({ type: 'response', id: frame.data.id, result });
    });
  };

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host}:${port}`;
  allowedOrigins = new Set([origin, `http://localhost:${port}`]);
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`]);
  return {
    url: origin,
    port,
    launchUrl: (path = '/') => {
      const secret = randomBytes(32).toString('base64url');
      launches.add(secret);
      return `${origin}${path}${path.includes('?') ? '&' : '?'}launch=${secret}`;
    },
    server,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
