/** Where the Electron binary is, if it was downloaded (never required: requiring it would try to download). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function electronBinary(): string | null {
  const dir = resolve(import.meta.dirname, '../../node_modules/electron');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    return existsSync(p) ? p : null;
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const p = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(p) ? p : null;
}

export const ELECTRON_ABSENT_REASON =
  'Electron binary absent (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1; it cannot be downloaded on this machine): ' +
  'the Electron shell is covered here through its IPC adapter (tests/contract) and runs for real where the binary is present.';
