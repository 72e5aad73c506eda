/**
 * Where the workstation cache lives and how an older clear cache becomes an encrypted one.
 *
 *   <dataDir>/            0700
 *     cache.sqlite        0600, encrypted (its -wal and -shm inherit its mode)
 *     keys/cache.key      0600 in a 0700 folder (cache-key.ts)
 *     permanence.sqlite   the clear cache of earlier versions: migrated once, then wiped
 *
 * The migration is safe against a crash at any point: the encrypted copy is built beside under a
 * temporary name, checked table by table, made durable, and only then renamed into place; the
 * clear file is overwritten with zeros and removed after that. A start that finds the temporary
 * copy throws it away and begins again; one that finds both the encrypted cache and the clear one
 * finishes the wipe. A cache encrypted with an earlier version's cipher is re-encrypted the same
 * way (copied under the temporary name with the current cipher, then renamed over the old one).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyKey, CACHE_CIPHER, EARLIER_CACHE_CIPHERS, openDatabase, type CacheCipher, type Db, type OpenOptions } from './database.js';
import { privateFolder } from './cache-key.js';

export const CACHE_FILE = 'cache.sqlite';
/** The clear cache of versions before the encryption. */
export const LEGACY_CLEAR_FILE = 'permanence.sqlite';
export const KEY_FOLDER = 'keys';
/** The clear cache of the benchmarks' baseline (never opened by a shell). */
export const CLEAR_BENCHMARK_FILE = 'clear-benchmark.sqlite';

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** Test hook: the migration stops the process dead at this step (crash tests). */
export type MigrationCrashPoint = 'copied' | 'renamed';

export interface EncryptedCacheOptions extends Pick<OpenOptions, 'upTo' | 'migrations' | 'readonly'> {
  crashAt?: MigrationCrashPoint;
}

export interface MigrationReport {
  migrated: boolean;
  rows: number;
  /** What the cache was before: the clear file, or a cache encrypted with an earlier cipher. */
  from?: 'clear' | CacheCipher;
}

/** Opens (creating or migrating) the encrypted cache of `dataDir`. */
export function openEncryptedCache(dataDir: string, key: Buffer, options: EncryptedCacheOptions = {}): { db: Db; migration: MigrationReport } {
  privateFolder(dataDir);
  const target = join(dataDir, CACHE_FILE);
  const partial = `${target}.partial`;
  const legacy = join(dataDir, LEGACY_CLEAR_FILE);
  removeWithSideFiles(partial);
  let migration: MigrationReport = { migrated: false, rows: 0 };
  if (existsSync(legacy)) {
    if (!existsSync(target)) migration = { migrated: true, rows: encryptInPlace({ path: legacy, cipher: null }, target, key, options.crashAt), from: 'clear' };
    for (const suffix of ['', ...SIDE_FILES]) wipeFile(legacy + suffix);
  } else if (existsSync(target)) {
    const cipher = cipherOf(target, key);
    if (cipher !== null && cipher !== CACHE_CIPHER) {
      migration = { migrated: true, rows: encryptInPlace({ path: target, cipher }, target, key, options.crashAt), from: cipher };
    }
  }
  createPrivateFile(target);
  const db = openDatabase(target, { ...options, key });
  return { db, migration };
}

/**
 * The cipher `path` was written with under this key, among the current and earlier ones; null when
 * none opens it (another key, or not a cache: openDatabase then says so).
 */
function cipherOf(path: string, key: Buffer): CacheCipher | null {
  for (const cipher of [CACHE_CIPHER, ...EARLIER_CACHE_CIPHERS] as CacheCipher[]) {
    const db = new Database(path, { fileMustExist: true });
    try {
      applyKey(db, key, cipher);
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return cipher;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_NOTADB') throw error;
    } finally {
      db.close();
    }
  }
  return null;
}

/** Copies `source` (clear, or under an earlier cipher) into an encrypted file that then replaces `target`. */
function encryptInPlace(source: { path: string; cipher: CacheCipher | null }, target: string, key: Buffer, crashAt?: MigrationCrashPoint): number {
  const partial = `${target}.partial`;
  const rows = encryptCopy(source, partial, key, crashAt);
  fsyncFile(partial);
  renameSync(partial, target);
  fsyncFile(dirname(target));
  if (crashAt === 'renamed') process.kill(process.pid, 'SIGKILL');
  return rows;
}

function encryptCopy(earlierFile: { path: string; cipher: CacheCipher | null }, partialPath: string, key: Buffer, crashAt?: MigrationCrashPoint): number {
  const { path: legacyPath, cipher: legacyCipher } = earlierFile;
  // The earlier cache is brought to the current schema first, so that both sides have the same
  // tables and columns, and its WAL folded into the file (nothing left beside it).
  const earlier = legacyCipher === null ? openDatabase(legacyPath) : openDatabase(legacyPath, { key, cipher: legacyCipher });
  earlier.pragma('wal_checkpoint(TRUNCATE)');
  earlier.pragma('journal_mode = DELETE');
  earlier.close();

  createPrivateFile(partialPath);
  const db = openDatabase(partialPath, { key });
  let rows = 0;
  try {
    if (legacyCipher === null) {
      // KEY '' attaches the clear file as clear (otherwise it would inherit the main file's key).
      db.prepare(`ATTACH DATABASE ? AS legacy KEY ''`).run(legacyPath);
    } else {
      // The cipher named before ATTACH is the attached file's; the main file keeps its own.
      db.pragma(`cipher = '${legacyCipher}'`);
      db.prepare(`ATTACH DATABASE ? AS legacy KEY ?`).run(legacyPath, `x'${key.toString('hex')}'`);
      db.pragma(`cipher = '${CACHE_CIPHER}'`);
    }
    const tables = (
      db.prepare(`SELECT name FROM legacy.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`).all() as { name: string }[]
    ).map((t) => t.name);
    db.pragma('foreign_keys = OFF');
    db.transaction(() => {
      for (const table of tables) {
        const columns = (db.prepare(`SELECT name FROM pragma_table_info(?, 'main')`).all(table) as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
        db.exec(`DELETE FROM main."${table}"; INSERT INTO main."${table}" (${columns}) SELECT ${columns} FROM legacy."${table}"`);
        const [copied, source] = [count(db, `main."${table}"`), count(db, `legacy."${table}"`)];
        if (copied !== source) throw new Error(`copie chiffrée incomplète de ${table} (${copied}/${source})`);
        rows += copied;
      }
      const hasSequence = db.prepare(`SELECT 1 FROM legacy.sqlite_master WHERE name = 'sqlite_sequence'`).get();
      if (hasSequence) db.exec(`DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM legacy.sqlite_sequence`);
    })();
    db.pragma('foreign_keys = ON');
    db.exec('DETACH DATABASE legacy');
    if (crashAt === 'copied') process.kill(process.pid, 'SIGKILL');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return rows;
}

const count = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function createPrivateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  if (process.platform !== 'win32') chmodSync(path, 0o600);
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some platforms refuse fsync on a folder: the rename is then as durable as they make it.
  } finally {
    closeSync(fd);
  }
}

function removeWithSideFiles(path: string): void {
  for (const suffix of ['', ...SIDE_FILES]) if (existsSync(path + suffix)) unlinkSync(path + suffix);
}

/** Overwrites a file with zeros, makes that durable, then removes it. */
export function wipeFile(path: string): void {
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  try {
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let offset = 0; offset < size; offset += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
  fsyncFile(dirname(path));
}
