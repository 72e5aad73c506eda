/**
 * Backups that are known to restore. PostgreSQL: pg_dump (custom format), then the file is restored
 * into a scratch database on the same server and its cases and events counted, and the scratch
 * database dropped. PGlite (the embedded database; the server must be stopped): an archive of the
 * data folder, loaded into a throw-away in-memory instance and counted.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { CliError, redact, type DatabaseChoice } from './server-config.js';

const run = promisify(execFile);

export interface BackupReport {
  bytes: number;
  cases: number;
  events: number;
}

export async function backupDatabase(choice: DatabaseChoice, file: string): Promise<BackupReport> {
  if (choice.engine === 'postgres') {
    await tool('pg_dump', ['--format=custom', '--no-owner', `--file=${file}`, choice.url]);
    const counts = await restoredCounts(choice.url, file);
    return { bytes: statSync(file).size, ...counts };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (!existsSync(choice.dir)) throw new CliError(`Base embarquée absente (${choice.dir}).`);
  const db = new PGlite(choice.dir);
  let archive: Blob;
  try {
    await db.waitReady;
    // Uncompressed from PGlite (its gzip option never finishes on Node 20), compressed here.
    archive = await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
  const bytes = gzipSync(Buffer.from(await archive.arrayBuffer()));
  writeFileSync(file, bytes, { mode: 0o600 });
  const check = new PGlite({ loadDataDir: new Blob([gunzipSync(readFileSync(file))]) });
  try {
    return { bytes: bytes.length, ...(await counts((sql) => check.query<{ n: number }>(sql).then((r) => Number(r.rows[0]!.n)))) };
  } finally {
    await check.close();
  }
}

export async function restoreDatabase(choice: DatabaseChoice, file: string): Promise<void> {
  if (!existsSync(file)) throw new CliError(`Fichier de sauvegarde absent (${file}).`);
  if (choice.engine === 'postgres') {
    await tool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--exit-on-error', `--dbname=${choice.url}`, file]);
    return;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (existsSync(choice.dir) && readdirSync(choice.dir).length > 0) {
    // Nothing is deleted: the current folder is kept beside, named after the moment.
    renameSync(choice.dir, `${choice.dir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  }
  const db = new PGlite(choice.dir, { loadDataDir: new Blob([gunzipSync(readFileSync(file))]) });
  await db.waitReady;
  await db.close();
}

async function restoredCounts(url: string, file: string): Promise<{ cases: number; events: number }> {
  const scratch = `permanence_backup_check_${randomBytes(5).toString('hex')}`;
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    try {
      await admin.query(`CREATE DATABASE ${scratch}`);
    } catch (error) {
      throw new CliError(`Vérification de la sauvegarde impossible : la base d’essai ne peut pas être créée (${(error as Error).message}). Le compte de DATABASE_URL a besoin du droit CREATEDB.`);
    }
    const scratchUrl = new URL(url);
    scratchUrl.pathname = `/${scratch}`;
    await tool('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${scratchUrl.toString()}`, file]);
    const client = new pg.Client({ connectionString: scratchUrl.toString() });
    await client.connect();
    try {
      return await counts((sql) => client.query<{ n: string }>(sql).then((r) => Number(r.rows[0]!.n)));
    } finally {
      await client.end();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

async function counts(count: (sql: string) => Promise<number>): Promise<{ cases: number; events: number }> {
  return { cases: await count('SELECT count(*) AS n FROM cases'), events: await count('SELECT count(*) AS n FROM events') };
}

async function tool(name: string, args: string[]): Promise<void> {
  try {
    await run(name, args, { maxBuffer: 16 << 20 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CliError(`${name} est introuvable : installez les outils clients de PostgreSQL (paquet postgresql-client).`);
    throw new CliError(`${name} a échoué : ${(e.stderr ?? e.message).split(/\r?\n/).filter(Boolean).slice(0, 3).join(' ').replaceAll(/postgres(ql)?:\/\/\S+/g, (m) => redact(m))}`);
  }
}
