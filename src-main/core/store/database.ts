/**
 * Opens the workstation's SQLite cache: encrypted when given a key, WAL, foreign keys, full fsync
 * on commit (a committed case survives a power cut), migrations at start with checksums, and a
 * clear refusal of a database written by a newer Permanence or sealed with another key.
 *
 * Encryption is SQLite3 Multiple Ciphers' AEGIS-256 (through better-sqlite3-multiple-ciphers, the
 * same API as better-sqlite3): every page is encrypted and authenticated, so a page altered on disk
 * is refused rather than read; and the key is given raw (32 random bytes, see cache-key.ts), so no
 * password derivation runs at open. AEGIS runs on the processor's AES instructions (every x86-64
 * since 2010, ARMv8): writing the initial sync's 1,000,000 cases cost 1.24 × a clear cache with the
 * ChaCha20-Poly1305 of earlier versions, about 1.0 × with AEGIS (benchmarks). A cache written with
 * ChaCha20 is re-encrypted once when opened (encrypted-cache.ts).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(
      `La base locale a été écrite par une version plus récente de Permanence (schéma ${found}, ` +
        `cette version connaît jusqu’au schéma ${supported}). Mettez l’application à jour ; la base n’a pas été modifiée.`,
    );
    this.name = 'DatabaseTooNewError';
  }
}
export class MigrationChecksumError extends Error {
  constructor(readonly version: number) {
    super(`La migration ${version} appliquée à cette base ne correspond pas à celle de cette version (somme de contrôle différente).`);
    this.name = 'MigrationChecksumError';
  }
}

export class CacheDecryptionError extends Error {
  constructor(readonly path: string) {
    super(
      `Le cache local (${path}) ne peut pas être déchiffré avec la clé de ce poste : il a été écrit avec une autre clé, ` +
        'ou le fichier est endommagé. Il n’a pas été modifié. Si la clé de ce poste a été perdue, déplacez ce fichier : ' +
        'le cache sera reconstruit depuis le serveur (les modifications qui n’y étaient pas encore envoyées sont perdues).',
    );
    this.name = 'CacheDecryptionError';
  }
}

/** The cipher of encrypted caches (see the header). */
export const CACHE_CIPHER = 'aegis';
/** Ciphers of caches written by earlier versions, re-encrypted with CACHE_CIPHER when found. */
export const EARLIER_CACHE_CIPHERS = ['chacha20'] as const;
export type CacheCipher = typeof CACHE_CIPHER | (typeof EARLIER_CACHE_CIPHERS)[number];
/**
 * Decrypted pages kept in memory (KiB). Modest while a workstation fills its cache (the initial
 * sync's peak memory), larger once it is filled, so that the pages a shift's look-ups touch are
 * decrypted once (measured on 1,000,000 cases: a phone look-up 1.47x the clear cache at 32 MiB,
 * 0.91x at 96 MiB).
 */
const PAGE_CACHE_KIB = 32 * 1024;
export const FILLED_PAGE_CACHE_KIB = 96 * 1024;

/** Once the cache is filled (initial sync done, or no server to sync from): the larger page cache. */
export function growPageCache(db: Db): void {
  db.pragma(`cache_size = -${FILLED_PAGE_CACHE_KIB}`);
}

/** Keys a fresh connection: must come before any read. The key never appears in an error. */
export function applyKey(db: Db, key: Buffer, cipher: CacheCipher = CACHE_CIPHER): void {
  for (const pragma of keyPragmas(key, cipher)) db.pragma(pragma);
}

/** The pragmas that key a connection (also run by the checkpointer's own connection). */
export const keyPragmas = (key: Buffer, cipher: CacheCipher = CACHE_CIPHER): string[] => [`cipher = '${cipher}'`, `key = "x'${key.toString('hex')}'"`];

export const checksum = (m: Migration) => createHash('sha256').update(m.sql).digest('hex');

export interface OpenOptions {
  /** Apply migrations only up to this version (tests of the upgrade path). */
  upTo?: number;
  migrations?: readonly Migration[];
  readonly?: boolean;
  /** The cache key (32 bytes): the file is encrypted with it. Without it, a clear file. */
  key?: Buffer;
  /** The cipher the file was written with (an earlier version's, to re-encrypt it). */
  cipher?: CacheCipher;
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false });
  try {
    if (options.key) {
      applyKey(db, options.key, options.cipher);
      try {
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new CacheDecryptionError(path);
        throw error;
      }
    }
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) migrate(db, options.migrations ?? MIGRATIONS, options.upTo);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function migrate(db: Db, migrations: readonly Migration[], upTo = Infinity): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  const applied = db.prepare('SELECT version, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number;
    checksum: string;
  }[];
  const known = new Map(migrations.map((m) => [m.version, m]));
  const latestKnown = migrations[migrations.length - 1]?.version ?? 0;
  const latestApplied = applied[applied.length - 1]?.version ?? 0;
  if (latestApplied > latestKnown) throw new DatabaseTooNewError(latestApplied, latestKnown);
  for (const row of applied) {
    const m = known.get(row.version);
    if (!m || checksum(m) !== row.checksum) throw new MigrationChecksumError(row.version);
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= latestApplied || m.version > upTo) continue;
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.version, m.name, checksum(m), Date.now());
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}

export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}
