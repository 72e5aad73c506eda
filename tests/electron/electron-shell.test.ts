/**
 * The real Electron shell: builds it with electron-vite, launches it, and checks the secure window
 * settings and one contract round trip through the preload. Skips, saying why, without the binary.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ELECTRON_ABSENT_REASON, electronBinary } from './electron-binary.js';
import { tempDir } from '../fixtures/tmp.js';

const binary = electronBinary();
if (!binary) console.warn(`[skip] ${ELECTRON_ABSENT_REASON}`);

describe.skipIf(!binary)('Electron shell (needs the Electron binary)', () => {
  it('opens a sandboxed window whose renderer reaches the core through the preload', async () => {
    execFileSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
    const { _electron } = await import('playwright-core');
    const data = tempDir();
    const app = await _electron.launch({
      executablePath: binary!,
      args: ['out/main/index.js', '--no-sandbox'],
      env: { ...process.env, PERMANENCE_MODE: 'training', PERMANENCE_DATA_DIR: data.path },
    });
    try {
      const page = await app.firstWindow();
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      const info = await page.evaluate(() =>
        (globalThis as unknown as { permanenceBridge: { invoke: (m: string, p: unknown) => Promise<unknown> } }).permanenceBridge.invoke('system.info', {}),
      );
      expect(info).toMatchObject({ ok: true });
      // French whatever the system's language (date and time fields follow the application locale).
      expect(await app.evaluate(({ app: a }) => a.getLocale())).toBe('fr-FR');
      expect(await page.evaluate(() => navigator.language)).toBe('fr-FR');
      await page.getByLabel('Nom et prénom').waitFor();
    } finally {
      await app.close();
      data.cleanup();
    }
  });
});
