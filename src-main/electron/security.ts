/**
 * Electron hardening, in one place: an app:// protocol with a path-traversal guard instead of
 * file://, no new windows, no foreign navigation, a permission allow-list (microphone for the
 * softphone, nothing else), and the CSP. Only this folder and src-preload import electron.
 */
import { net, protocol, session, type BrowserWindow } from 'electron';
import { normalize, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../../src-shared/contract/csp.js';

export const APP_ORIGIN = 'app://permanence';

export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

export function serveRendererFrom(rendererDir: string, csp: string): void {
  const root = normalize(rendererDir);
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'permanence') return new Response('Interdit', { status: 403 });
    const rel = url.pathname === '/' || !url.pathname.includes('.') ? '/index.html' : decodeURIComponent(url.pathname);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return new Response('Interdit', { status: 403 });
    const response = await net.fetch(pathToFileURL(file).toString());
    if (!rel.endsWith('.html')) return response;
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', csp);
    return new Response(response.body, { status: response.status, headers });
  });
}

/** Electron's CSP: the shared one, plus the SIP and server origins the center configures. */
export function electronCsp(extraConnect: string[] = []): string {
  return contentSecurityPolicy(extraConnect);
}

export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((webContents, permission, callback, details) => {
    const fromApp = webContents.getURL().startsWith(APP_ORIGIN);
    const audioOnly =
      permission === 'media' &&
      'mediaTypes' in details &&
      Array.isArray(details.mediaTypes) &&
      details.mediaTypes.every((t) => t === 'audio');
    callback(fromApp && audioOnly);
  });
  ses.setPermissionCheckHandler((_wc, permission, origin) => permission === 'media' && origin.startsWith(APP_ORIGIN));
}

/** No new window, no navigation away; links go to `openExternal` (which checks the allow-list). */
export function hardenWindow(win: BrowserWindow, openExternal: (url: string) => void): void {
  win.webContents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(APP_ORIGIN)) event.preventDefault();
  });
}
