/**
 * The desktop packaging, checked without the Electron binary: the electron-builder configuration
 * (its fuses, the native module unpacked from the asar, per-machine Windows installer, update
 * source), and what the staging folder would put in the package. The installers themselves are
 * built where Electron can be downloaded (docs/operations.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = resolve(import.meta.dirname, '../..');
const ELECTRON_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const HEADERS_URL = `https://artifacts.electronjs.org/headers/dist/v${ELECTRON_VERSION}/node-v${ELECTRON_VERSION}-headers.tar.gz`;
// The native module's rebuild for Electron needs Electron's headers from electronjs.org.
const headersReachable = await fetch(HEADERS_URL, { method: 'HEAD', signal: AbortSignal.timeout(3_000) }).then(
  (r) => r.ok,
  () => false,
);
if (!headersReachable) console.warn(`[skip] rebuild of the native module for Electron ${ELECTRON_VERSION}: its headers cannot be fetched from this machine (${HEADERS_URL}); IT runs it where they can (docs/operations.md)`);

const BuilderConfigSchema = z.object({
  appId: z.string().regex(/^[a-z]+(\.[a-z0-9-]+)+$/),
  directories: z.object({ app: z.literal('release/staging'), output: z.string() }),
  asar: z.literal(true),
  asarUnpack: z.array(z.string()),
  npmRebuild: z.literal(false),
  electronFuses: z.strictObject({
    runAsNode: z.literal(false),
    enableCookieEncryption: z.literal(true),
    enableNodeOptionsEnvironmentVariable: z.literal(false),
    enableNodeCliInspectArguments: z.literal(false),
    enableEmbeddedAsarIntegrityValidation: z.literal(true),
    onlyLoadAppFromAsar: z.literal(true),
    grantFileProtocolExtraPrivileges: z.literal(false),
  }),
  win: z.object({ target: z.array(z.object({ target: z.literal('nsis') })) }),
  nsis: z.object({ oneClick: z.literal(false), perMachine: z.literal(true) }),
  linux: z.object({ target: z.array(z.enum(['deb', 'AppImage'])) }),
  publish: z.array(z.object({ provider: z.literal('generic'), url: z.string().startsWith('https://') })).min(1),
});

describe('desktop packaging (without the Electron binary)', () => {
  it('sets every fuse, unpacks the native modules, installs per machine and updates from the center’s server', () => {
    const config = BuilderConfigSchema.parse(JSON.parse(readFileSync(join(ROOT, 'packaging/electron-builder.json'), 'utf8')));
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3-multiple-ciphers/**');
    expect(config.asarUnpack).toContain('node_modules/@node-rs/**');
  });

  it.skipIf(!existsSync(join(ROOT, 'out/main/index.js')))('stages the built shell and the runtime dependencies only', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/stage-desktop-app.ts'), '--list'], { cwd: ROOT, encoding: 'utf8' });
    const { files, runtimeDependencies } = JSON.parse(out) as { files: string[]; runtimeDependencies: string[] };
    expect(files).toContain('out/main/index.js');
    expect(files).toContain('out/preload/index.cjs');
    expect(files).toContain('out/renderer/index.html');
    expect(files).toContain('package.json');
    // No sources, tests, development data nor secrets in the package.
    expect(files.filter((f) => /^(src-|tests\/|resources\/|\.data|scripts\/)|\.ts$|token-secret|cache\.key/.test(f))).toEqual([]);
    expect(runtimeDependencies).toContain('better-sqlite3-multiple-ciphers');
    expect(runtimeDependencies).not.toContain('electron');
    const staged = JSON.parse(readFileSync(join(ROOT, 'release/staging/package.json'), 'utf8')) as { main: string; devDependencies: Record<string, string> };
    expect(staged.main).toBe('out/main/index.js');
    expect(Object.keys(staged.devDependencies)).toEqual(['electron']);
  });

  it.skipIf(!headersReachable || !existsSync(join(ROOT, 'out/main/index.js')))('rebuilds the native module for Electron’s ABI in the staging folder, not in the tests’ node_modules', () => {
    const ours = readFileSync(join(ROOT, 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'));
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/stage-desktop-app.ts'), '--rebuild'], { cwd: ROOT, stdio: 'inherit', timeout: 900_000 });
    const staged = readFileSync(join(ROOT, 'release/staging/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'));
    expect(staged.equals(ours)).toBe(false);
    // The tests' own build is untouched.
    expect(readFileSync(join(ROOT, 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node')).equals(ours)).toBe(true);
  }, 900_000);
});
