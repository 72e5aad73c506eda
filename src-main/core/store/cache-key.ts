/**
 * The workstation cache's key: 32 random bytes per workstation, created at the first start and
 * kept in a key file that only the operating system can open.
 *
 * The key file holds the key sealed by a `KeySealer`: in the Electron shell, Electron's
 * safeStorage (DPAPI on Windows, the Keychain on macOS, the Secret Service on Linux), so that a
 * copy of the data folder on another machine or for another account is useless. The browser
 * shell has no such service: its key file holds the key as is, protected only by its mode (0600
 * in a 0700 folder). That is for development and demonstrations, as the README says.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { jsonOrNull } from '../../../src-shared/validation/json-or-null.js';

export interface KeySealer {
  /** Recorded in the key file: a key sealed by one sealer is never handed to another. */
  readonly name: 'safe-storage' | 'file-mode-only';
  seal(key: Buffer): Buffer;
  unseal(sealed: Buffer): Buffer;
}

/** Development only: the key file is protected by its permissions alone. */
export const FILE_MODE_ONLY: KeySealer = {
  name: 'file-mode-only',
  seal: (key) => Buffer.from(key),
  unseal: (sealed) => Buffer.from(sealed),
};

export const CACHE_KEY_BYTES = 32;
const KEY_FILE = 'cache.key';

const KeyFileSchema = z.object({
  version: z.literal(1),
  sealer: z.enum(['safe-storage', 'file-mode-only']),
  sealed: z.string().min(1),
  createdAt: z.string(),
});

export class CacheKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheKeyError';
  }
}

/** A folder that only this account may list and enter (0700), created if missing. */
export function privateFolder(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(path, 0o700);
  return path;
}

/** Writes a file readable by this account only (0600), durably and atomically. */
export function writePrivateFile(path: string, content: Buffer | string): void {
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (process.platform !== 'win32') chmodSync(partial, 0o600);
  renameSync(partial, path);
}

/**
 * The cache key of the workstation whose key folder is `folder`: read and unsealed, or created
 * when there is none yet. A key file written by a weaker sealer (the browser shell's) is sealed
 * again by a stronger one (Electron's safeStorage) the first time the latter reads it.
 */
export function loadOrCreateCacheKey(folder: string, sealer: KeySealer): Buffer {
  privateFolder(folder);
  const path = join(folder, KEY_FILE);
  if (!existsSync(path)) {
    const key = randomBytes(CACHE_KEY_BYTES);
    writeKeyFile(path, key, sealer);
    return key;
  }
  const parsed = KeyFileSchema.safeParse(jsonOrNull(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new CacheKeyError(`Le fichier de clé du cache local (${path}) est illisible : il a été modifié ou tronqué. Le cache ne peut pas être ouvert sans lui.`);
  }
  const file = parsed.data;
  if (file.sealer === 'safe-storage' && sealer.name !== 'safe-storage') {
    throw new CacheKeyError(
      `La clé du cache local (${path}) est protégée par le système de l’application de bureau : ce cache ne peut être ouvert que par elle, pas par l’interface dans le navigateur.`,
    );
  }
  let key: Buffer;
  try {
    key = (file.sealer === sealer.name ? sealer : FILE_MODE_ONLY).unseal(Buffer.from(file.sealed, 'base64'));
  } catch (error) {
    throw new CacheKeyError(
      `La clé du cache local (${path}) ne peut pas être déverrouillée par ce compte sur ce poste (${(error as Error).message}). ` +
        'Un dossier de données copié depuis un autre poste ou un autre compte ne peut pas être ouvert.',
    );
  }
  if (key.length !== CACHE_KEY_BYTES) throw new CacheKeyError(`La clé du cache local (${path}) n’a pas la bonne longueur.`);
  if (file.sealer !== sealer.name) writeKeyFile(path, key, sealer);
  if (process.platform !== 'win32') chmodSync(path, 0o600);
  return key;
}

function writeKeyFile(path: string, key: Buffer, sealer: KeySealer): void {
  const file: z.infer<typeof KeyFileSchema> = {
    version: 1,
    sealer: sealer.name,
    sealed: sealer.seal(key).toString('base64'),
    createdAt: new Date().toISOString(),
  };
  writePrivateFile(path, JSON.stringify(file));
}
