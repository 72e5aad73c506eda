/**
 * The browser shell's start code (src-main/web-host/cli.ts) as IT runs it: from an installation
 * file, against the center's server. Electron's start code reads the same file through the same
 * loader; it runs for real in tests/electron where the binary is present.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebBridge, type WebSocketLike } from '../../src-renderer/bridge/web-bridge.js';
import { startTestServer, TENANT, type TestServer } from '../fixtures/sync-harness.js';
import { tempDir } from '../fixtures/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STATIC = join(ROOT, 'dist/renderer');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts cli.ts; resolves with its launch link once printed, or rejects with what it said. */
function startShell(env: Record<string, string>): Promise<{ child: ChildProcess; launchUrl: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/web-host/cli.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, PERMANENCE_PORT: '0', PERMANENCE_STATIC: STATIC, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const link = /(http:\/\/127\.0\.0\.1:\d+\/\?launch=[^\s]+)/.exec(out);
      if (link && /Données locales/.test(out)) resolvePromise({ child, launchUrl: link[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(Object.assign(new Error(`shell exited ${code}: ${out}`), { code, out })));
  });
}

/** The browser shell's bridge, reached as the browser reaches it (launch link, then cookie). */
async function bridgeOf(launchUrl: string) {
  const launch = await fetch(launchUrl, { redirect: 'manual' });
  const cookie = (launch.headers.get('set-cookie') ?? '').split(';')[0]!;
  const origin = new URL(launchUrl).origin;
  const bridge = createWebBridge({
    url: `${origin.replace('http', 'ws')}/bridge`,
    createSocket: (url) => new WebSocket(url, { origin, headers: { cookie } }) as unknown as WebSocketLike,
  });
  cleanups.push(() => bridge.close());
  return bridge;
}

/** A throw-away certificate authority and a certificate it signs for 127.0.0.1. */
function throwAwayCa(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Autorite de test Permanence');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe.skipIf(!existsSync(join(STATIC, 'index.html')))('a workstation installed by IT', () => {
  let server: TestServer;

  it('starts from the machine file and logs in against the central server', async () => {
    server = await startTestServer('pglite');
    cleanups.push(() => server.close());
    const data = tempDir();
    cleanups.push(data.cleanup);
    const file = join(data.path, 'workstation.json');
    writeFileSync(file, JSON.stringify({ tenant: TENANT, serverUrls: [server.url], dataDir: join(data.path, 'cache') }));
    const shell = await startShell({ PERMANENCE_CONFIG_FILE: file });
    expect(shell.output()).toContain(`Centre ${TENANT} · serveur ${server.url}`);

    const bridge = await bridgeOf(shell.launchUrl);
    const mode = await bridge.invoke('session.mode', {});
    expect(mode).toMatchObject({ ok: true, value: { serverConfigured: true, defaultTenant: TENANT } });
    const login = await bridge.invoke('session.login', { login: 'arm1', password: 'arm1-password' });
    expect(login).toMatchObject({ ok: true, value: { mode: 'server', tenant: TENANT, actor: { role: 'arm' } } });
    // The cache is where the file said, encrypted.
    expect(existsSync(join(data.path, 'cache', 'cache.sqlite'))).toBe(true);
  });

  it('over TLS: refuses a server whose certificate it does not trust, and logs in once the center’s CA is installed', async () => {
    const data = tempDir();
    cleanups.push(data.cleanup);
    const pki = throwAwayCa(data.path);
    server = await startTestServer('pglite', { tls: { cert: readFileSync(pki.cert), key: readFileSync(pki.key) } });
    cleanups.push(() => server.close());
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    // HSTS on every answer.
    const hsts = await new Promise<string | undefined>((ok, fail) =>
      httpsGet(`${server.url}/api/health`, { ca: readFileSync(pki.ca) }, (res) => {
        res.resume();
        ok(res.headers['strict-transport-security'] as string | undefined);
      }).on('error', fail),
    );
    expect(hsts).toMatch(/^max-age=31536000/);
    const file = join(data.path, 'workstation.json');
    for (const [name, trusted] of [['untrusted', false], ['trusted', true]] as const) {
      writeFileSync(file, JSON.stringify({ tenant: TENANT, serverUrls: [server.url], dataDir: join(data.path, `cache-${name}`) }));
      const shell = await startShell({ PERMANENCE_CONFIG_FILE: file, ...(trusted ? { NODE_EXTRA_CA_CERTS: pki.ca } : {}) });
      const bridge = await bridgeOf(shell.launchUrl);
      const login = await bridge.invoke('session.login', { login: 'arm1', password: 'arm1-password' });
      if (trusted) {
        expect(login).toMatchObject({ ok: true, value: { mode: 'server', tenant: TENANT } });
      } else {
        expect(login).toMatchObject({ ok: false, error: { code: 'unavailable' } });
        expect((login as { error: { message: string } }).error.message).toContain('son certificat n’est pas reconnu par ce poste');
      }
      shell.child.kill('SIGKILL');
    }
  });

  it('refuses to start against http:// to another machine, and says why in French', async () => {
    const data = tempDir();
    cleanups.push(data.cleanup);
    const file = join(data.path, 'workstation.json');
    writeFileSync(file, JSON.stringify({ tenant: TENANT, serverUrls: ['http://regulation.chu-dijon.fr:5790'], dataDir: join(data.path, 'cache') }));
    const failed = await startShell({ PERMANENCE_CONFIG_FILE: file }).then(
      () => null,
      (error: { code: number; out: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.out).toContain('http:// n’est accepté que vers ce poste lui-même');
    expect(existsSync(join(data.path, 'cache'))).toBe(false);
  });

  it('without a server nor the training mode, does not start as a silent standalone workstation', async () => {
    const data = tempDir();
    cleanups.push(data.cleanup);
    const failed = await startShell({ PERMANENCE_CONFIG_FILE: join(data.path, 'absent.json'), PERMANENCE_DATA_DIR: join(data.path, 'cache') }).then(
      () => null,
      (error: { code: number; out: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.out).toContain('Aucun serveur central n’est configuré sur ce poste');
  });
});
