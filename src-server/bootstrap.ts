/** Opens the configured database, migrates it, and creates the first center and users if asked. */
import { randomUUID } from 'node:crypto';
import type { Role } from '../src-shared/domain/codes.js';
import { migrateServer } from './db/migrations.js';
import { openPglite, openPostgres, type SqlDatabase } from './db/sql.js';
import { createTenant, createUser } from './services/auth.js';

export async function openServerDatabase(config: { databaseUrl?: string; pgliteDir?: string }): Promise<SqlDatabase> {
  const db = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(config.pgliteDir);
  await migrateServer(db);
  // A restored or bulk-loaded database has no planner statistics yet: without them PostgreSQL
  // sorts the whole table for each keyset page of a snapshot (77 ms instead of 0.7 ms a page at
  // 100,000 cases). Autovacuum would get there later; a start is the moment to be sure.
  await db.exec('ANALYZE cases; ANALYZE events; ANALYZE mutation_results');
  return db;
}

export interface TenantSeed {
  id: string;
  name: string;
  department: string;
  sip?: { wsUrl: string; domain: string };
  users: { login: string; displayName: string; role: Role; password: string; sip?: { username: string; password: string } }[];
}

export async function seedTenant(db: SqlDatabase, seed: TenantSeed): Promise<void> {
  await createTenant(db, seed);
  for (const u of seed.users) await createUser(db, { tenant: seed.id, ...u }, { ifExists: 'keep' });
}

/**
 * After restoring an older backup, the log has gone back in time: give every center a new epoch so
 * that workstations keep their outbox and push it again.
 */
export async function markRestored(db: SqlDatabase): Promise<number> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenants');
  for (const r of rows) await db.query('UPDATE tenants SET epoch = $2 WHERE id = $1', [r.id, randomUUID()]);
  return rows.length;
}
