import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DatabaseTooNewError,
  MigrationChecksumError,
  openDatabase,
  schemaVersion,
} from '../../../src-main/core/store/database.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src-main/core/store/migrations.js';
import { WorkstationCore } from '../../../src-main/core/workstation-core.js';
import { freshFolders } from '../../fixtures/tmp.js';

const fresh = freshFolders(afterEach);

describe('workstation cache — migrations', () => {
  it('migrates up from empty to the latest schema, with WAL and foreign keys on', () => {
    const db = openDatabase(join(fresh(), 'a.sqlite'));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('migrates up from the previous version and keeps the data', () => {
    const path = join(fresh(), 'b.sqlite');
    const old = openDatabase(path, { upTo: LATEST_SCHEMA_VERSION - 1 });
    expect(schemaVersion(old)).toBe(LATEST_SCHEMA_VERSION - 1);
    old
      .prepare(`INSERT INTO cases (id, reference, status, opened_at, updated_at, version, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run('0190a0a0-0000-7000-8000-000000000001', 'R1', 'screening', 1, 1, 1, '{}');
    old.close();
    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare('SELECT reference FROM cases').get()).toEqual({ reference: 'R1' });
    expect(db.prepare(`SELECT count(*) AS n FROM outbox`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database written by a newer Permanence, with a clear message, and leaves it untouched', () => {
    const path = join(fresh(), 'c.sqlite');
    const future = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: 'future', sql: 'CREATE TABLE future (x INTEGER)' }];
    openDatabase(path, { migrations: future }).close();
    let error: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseTooNewError);
    expect((error as Error).message).toContain('version plus récente de Permanence');
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: LATEST_SCHEMA_VERSION + 1 });
    raw.close();
  });

  it('refuses a database whose applied migration was edited since', () => {
    const path = join(fresh(), 'd.sqlite');
    openDatabase(path).close();
    const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sql: m.sql + '\n-- edited' } : m));
    expect(() => openDatabase(path, { migrations: edited })).toThrow(MigrationChecksumError);
  });

  it('keeps the event log append-only', () => {
    const core = WorkstationCore.open({ dataDir: fresh() });
    return (async () => {
      await core.registry.call('session.login', { displayName: 'Alice', role: 'arm', department: '21' });
      const r = await core.registry.call('case.open', { line: '116117' });
      expect(r.ok).toBe(true);
      const db = (core as unknown as { db: Database.Database }).db;
      expect(() => db.prepare('DELETE FROM case_events').run()).toThrow(/append-only/);
      expect(() => db.prepare(`UPDATE case_events SET payload = '{}'`).run()).toThrow(/append-only/);
      // The server's sequence number may be filled in once (sync, next issue), never changed.
      db.prepare('UPDATE case_events SET server_seq = 1').run();
      expect(() => db.prepare('UPDATE case_events SET server_seq = 2').run()).toThrow(/append-only/);
      core.close();
    })();
  });
});

describe('workstation cache — crash safety', () => {
  it('loses no committed case when the process is killed with SIGKILL in the middle of writing', async () => {
    const dataDir = fresh();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../fixtures/crash-writer.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const committed: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code}`))));
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) if (line !== 'ready') committed.push(line);
        if (committed.length >= 300 && !child.killed) child.kill('SIGKILL');
      });
    });
    expect(committed.length).toBeGreaterThanOrEqual(300);
    const core = WorkstationCore.open({ dataDir });
    // Read back as a user would: nothing is served with nobody logged in.
    await core.registry.call('session.login', { displayName: 'Alice', role: 'arm', department: '21' });
    for (const id of committed) {
      const r = await core.registry.call('case.get', { caseId: id });
      expect(r.ok, `case ${id} lost`).toBe(true);
    }
    // Each committed case also has its event and its outbox row.
    const info = await core.registry.call('system.info', {});
    expect(info.ok && (info.value as { pendingMutations: number }).pendingMutations).toBeGreaterThanOrEqual(committed.length);
    await core.close();
  });

  it('checkpoints the WAL on a worker thread, not in the commits of the core', async () => {
    const dataDir = fresh();
    const core = WorkstationCore.open({ dataDir });
    expect(core.checkpointer).toBeDefined();
    const login = await core.registry.call('session.login', { displayName: 'Test', role: 'arm', department: '21' });
    expect(login.ok).toBe(true);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await core.registry.call('case.open', { line: '116117', fields: { reasonText: `cas ${i}` } });
      if (r.ok) ids.push((r.value as { id: string }).id);
    }
    // The core's own connection would only checkpoint past the backstop, far above 200 cases.
    const walBefore = statSync(join(dataDir, 'cache.sqlite-wal')).size;
    expect(walBefore).toBeGreaterThan(200 * 4096);
    const report = await core.checkpointer!.checkpointNow();
    expect(report.walFrames).toBeGreaterThan(0);
    expect(report.checkpointed).toBe(report.walFrames);
    expect(core.checkpointer!.lastError).toBeNull();
    // After the checkpoint the next commit starts the WAL over instead of growing it.
    await core.registry.call('case.open', { line: '116117' });
    expect(statSync(join(dataDir, 'cache.sqlite-wal')).size).toBeLessThanOrEqual(walBefore);
    await core.close();
    const again = WorkstationCore.open({ dataDir });
    await again.registry.call('session.login', { displayName: 'Test', role: 'arm', department: '21' });
    for (const id of ids) expect((await again.registry.call('case.get', { caseId: id })).ok).toBe(true);
    await again.close();
  });
});
