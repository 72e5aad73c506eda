import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheKeyError, FILE_MODE_ONLY, loadOrCreateCacheKey, type KeySealer } from '../../../src-main/core/store/cache-key.js';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyKey, CACHE_CIPHER, CacheDecryptionError, openDatabase, type CacheCipher } from '../../../src-main/core/store/database.js';
import { CACHE_FILE, KEY_FOLDER, LEGACY_CLEAR_FILE, openEncryptedCache } from '../../../src-main/core/store/encrypted-cache.js';
import { WorkstationCore } from '../../../src-main/core/workstation-core.js';
import { freshFolders } from '../../fixtures/tmp.js';

const fresh = freshFolders(afterEach);

const PATIENTS = ['Bérénice Quintavalle', 'Hippolyte Vanderschueren', 'Zéphirine Oudinot'];

/** A workstation with three cases whose patients are named; returns their ids. */
async function casesIn(dataDir: string): Promise<string[]> {
  const core = WorkstationCore.open({ dataDir });
  await core.registry.call('session.login', { displayName: 'Alice', role: 'arm', department: '21' });
  const ids: string[] = [];
  for (const [i, name] of PATIENTS.entries()) {
    const [firstName, lastName] = name.split(' ') as [string, string];
    const r = await core.registry.call('case.open', {
      line: '116117',
      fields: { patient: { firstName, lastName }, callbackPhone: `06 12 34 56 7${i}`, reasonText: `fièvre chez ${name}` },
    });
    if (!r.ok) throw new Error(r.error.message);
    ids.push((r.value as { id: string }).id);
  }
  await core.close();
  return ids;
}

/** Every byte the cache leaves on disk (the file, its WAL, its shared memory). */
function rawBytes(dataDir: string): Buffer {
  return Buffer.concat(
    readdirSync(dataDir)
      .filter((f) => f.startsWith(CACHE_FILE) || f.startsWith(LEGACY_CLEAR_FILE))
      .map((f) => readFileSync(join(dataDir, f))),
  );
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** An older version's clear cache: the same cases, decrypted into permanence.sqlite. */
async function legacyClearCache(): Promise<{ dataDir: string; ids: string[] }> {
  const source = fresh();
  const ids = await casesIn(source);
  const key = loadOrCreateCacheKey(join(source, KEY_FOLDER), FILE_MODE_ONLY);
  const db = openDatabase(join(source, CACHE_FILE), { key });
  // serialize() reads the pages through SQLite, decrypted: the image is a clear database.
  const image = db.serialize();
  db.close();
  const dataDir = fresh();
  writeFileSync(join(dataDir, LEGACY_CLEAR_FILE), image);
  expect(image.includes(Buffer.from('Quintavalle'))).toBe(true);
  return { dataDir, ids };
}

/** An earlier version's cache: the same cases, encrypted with its cipher (ChaCha20) under the workstation's key. */
async function earlierCipherCache(): Promise<{ dataDir: string; ids: string[]; key: Buffer }> {
  const dataDir = fresh();
  const ids = await casesIn(dataDir);
  const key = loadOrCreateCacheKey(join(dataDir, KEY_FOLDER), FILE_MODE_ONLY);
  const db = openDatabase(join(dataDir, CACHE_FILE), { key });
  db.pragma('journal_mode = DELETE');
  db.pragma(`cipher = 'chacha20'`);
  db.pragma(`rekey = "x'${key.toString('hex')}'"`);
  db.close();
  expect(opensWith(join(dataDir, CACHE_FILE), key, 'chacha20')).toBe(true);
  expect(opensWith(join(dataDir, CACHE_FILE), key, CACHE_CIPHER)).toBe(false);
  return { dataDir, ids, key };
}

/** Whether the file's cases read under this key and cipher (every page decrypted and authenticated). */
function opensWith(file: string, key: Buffer, cipher: CacheCipher): boolean {
  try {
    const db = new Database(file, { fileMustExist: true });
    try {
      applyKey(db, key, cipher);
      db.prepare('SELECT count(*), sum(length(data)) FROM server_cases').get();
      return db.pragma('quick_check', { simple: true }) === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

async function readCases(dataDir: string, ids: readonly string[]): Promise<string[]> {
  const core = WorkstationCore.open({ dataDir });
  await core.registry.call('session.login', { displayName: 'Alice', role: 'arm', department: '21' });
  const names: string[] = [];
  for (const id of ids) {
    const r = await core.registry.call('case.get', { caseId: id });
    if (!r.ok) throw new Error(`case ${id}: ${r.error.message}`);
    const patient = (r.value as { fields: { patient: { firstName?: string; lastName?: string } } }).fields.patient;
    names.push(`${patient.firstName} ${patient.lastName}`);
  }
  await core.close();
  return names;
}

describe('workstation cache — encrypted at rest', () => {
  it('leaves no patient name, phone or reason in the files on disk, which only this account may read', async () => {
    const dataDir = fresh();
    const ids = await casesIn(dataDir);
    const raw = rawBytes(dataDir);
    expect(raw.length).toBeGreaterThan(4096);
    for (const name of PATIENTS) for (const part of name.split(' ')) expect(raw.includes(Buffer.from(part)), part).toBe(false);
    expect(raw.includes(Buffer.from('0612345670'))).toBe(false);
    expect(raw.includes(Buffer.from('fièvre'))).toBe(false);
    expect(raw.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000');
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, CACHE_FILE))).toBe(0o600);
    expect(mode(join(dataDir, KEY_FOLDER))).toBe(0o700);
    expect(mode(join(dataDir, KEY_FOLDER, 'cache.key'))).toBe(0o600);
    // And everything reads back with the workstation's key.
    expect(await readCases(dataDir, ids)).toEqual(PATIENTS);
  });

  it('refuses to open with another key, says so in French, and leaves the file as it was', async () => {
    const dataDir = fresh();
    await casesIn(dataDir);
    const file = join(dataDir, CACHE_FILE);
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    let error: unknown;
    try {
      openDatabase(file, { key: randomBytes(32) }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheDecryptionError);
    expect((error as Error).message).toContain('ne peut pas être déchiffré avec la clé de ce poste');
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
    // A replaced key file: the core refuses to start rather than make a new empty cache.
    writeFileSync(join(dataDir, KEY_FOLDER, 'cache.key'), JSON.stringify({ version: 1, sealer: 'file-mode-only', sealed: randomBytes(32).toString('base64'), createdAt: 'x' }));
    expect(() => WorkstationCore.open({ dataDir })).toThrow(CacheDecryptionError);
  });

  it('keeps a key sealed by the operating system out of reach of a weaker shell, and re-seals a weaker one', () => {
    const folder = join(fresh(), KEY_FOLDER);
    const os: KeySealer = {
      name: 'safe-storage',
      seal: (k) => Buffer.concat([Buffer.from('os:'), k]),
      unseal: (s) => {
        if (!s.subarray(0, 3).equals(Buffer.from('os:'))) throw new Error('not sealed here');
        return s.subarray(3);
      },
    };
    const devKey = loadOrCreateCacheKey(folder, FILE_MODE_ONLY);
    expect(loadOrCreateCacheKey(folder, os).equals(devKey)).toBe(true);
    const file = JSON.parse(readFileSync(join(folder, 'cache.key'), 'utf8')) as { sealer: string; sealed: string };
    expect(file.sealer).toBe('safe-storage');
    expect(Buffer.from(file.sealed, 'base64').includes(devKey)).toBe(true);
    expect(() => loadOrCreateCacheKey(folder, FILE_MODE_ONLY)).toThrow(CacheKeyError);
    writeFileSync(join(folder, 'cache.key'), '{"version":1');
    expect(() => loadOrCreateCacheKey(folder, os)).toThrow(/illisible/);
  });

  it('migrates a clear cache once, loses nothing, and wipes the clear file', async () => {
    const { dataDir, ids } = await legacyClearCache();
    expect(await readCases(dataDir, ids)).toEqual(PATIENTS);
    expect(existsSync(join(dataDir, LEGACY_CLEAR_FILE))).toBe(false);
    for (const name of PATIENTS) expect(rawBytes(dataDir).includes(Buffer.from(name.split(' ')[1]!))).toBe(false);
    // A second start does not migrate again.
    const key = loadOrCreateCacheKey(join(dataDir, KEY_FOLDER), FILE_MODE_ONLY);
    const again = openEncryptedCache(dataDir, key);
    expect(again.migration.migrated).toBe(false);
    again.db.close();
  });

  it('re-encrypts once a cache written with the earlier cipher, loses nothing, and refuses a page altered on disk', async () => {
    const { dataDir, ids, key } = await earlierCipherCache();
    expect(await readCases(dataDir, ids)).toEqual(PATIENTS);
    const file = join(dataDir, CACHE_FILE);
    expect(opensWith(file, key, CACHE_CIPHER)).toBe(true);
    expect(opensWith(file, key, 'chacha20')).toBe(false);
    expect(readdirSync(dataDir).filter((f) => f.includes('.partial'))).toEqual([]);
    for (const name of PATIENTS) expect(rawBytes(dataDir).includes(Buffer.from(name.split(' ')[1]!))).toBe(false);
    expect(mode(file)).toBe(0o600);
    const again = openEncryptedCache(dataDir, key);
    expect(again.migration.migrated).toBe(false);
    again.db.pragma('wal_checkpoint(TRUNCATE)');
    again.db.close();
    // One byte changed in the last page (a case's data): authentication refuses it.
    const bytes = readFileSync(file);
    const at = bytes.length - 1000;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
    writeFileSync(file, bytes);
    expect(opensWith(file, key, CACHE_CIPHER)).toBe(false);
  });

  for (const source of ['clear', 'chacha20'] as const) {
    for (const crashAt of ['copied', 'renamed'] as const) {
      it(`loses nothing when the migration from ${source === 'clear' ? 'a clear cache' : 'the earlier cipher'} is killed with SIGKILL (${crashAt === 'copied' ? 'copy written, not yet in place' : 'in place, old file not yet wiped'})`, async () => {
        const { dataDir, ids } = source === 'clear' ? await legacyClearCache() : await earlierCipherCache();
        const keyHex = loadOrCreateCacheKey(join(dataDir, KEY_FOLDER), FILE_MODE_ONLY).toString('hex');
        const migrator = join(import.meta.dirname, '../../fixtures/cache-migrator.ts');
        const killed = spawnSync(process.execPath, ['--import', 'tsx', migrator, dataDir, keyHex, crashAt], { encoding: 'utf8' });
        expect(killed.signal).toBe('SIGKILL');
        // The clear file is still there (it is the only complete copy, or the wipe did not run).
        if (source === 'clear') expect(existsSync(join(dataDir, LEGACY_CLEAR_FILE))).toBe(true);
        const restarted = spawnSync(process.execPath, ['--import', 'tsx', migrator, dataDir, keyHex, 'none'], { encoding: 'utf8' });
        expect(restarted.status, restarted.stderr).toBe(0);
        expect(JSON.parse(restarted.stdout)).toMatchObject({ migrated: crashAt === 'copied' });
        expect(existsSync(join(dataDir, LEGACY_CLEAR_FILE))).toBe(false);
        expect(readdirSync(dataDir).filter((f) => f.includes('.partial'))).toEqual([]);
        expect(await readCases(dataDir, ids)).toEqual(PATIENTS);
      });
    }
  }
});
