/**
 * Starts the central regulation server. Configuration (environment, safe defaults):
 *   PERMANENCE_SERVER_HOST      bind address (default 127.0.0.1)
 *   PERMANENCE_SERVER_PORT      port (default 5790)
 *   DATABASE_URL                PostgreSQL (postgres://…); without it, the embedded PGlite database
 *   PERMANENCE_SERVER_DATA_DIR  data folder of the embedded database and token secret (default .data/server)
 *   PERMANENCE_TOKEN_SECRET     token signing secret (≥ 32 chars; default: generated once into the data folder)
 *   PERMANENCE_TOKEN_TTL        token lifetime in seconds (default 1800)
 *   PERMANENCE_LOG_LEVEL        pino level (default info)
 *   PERMANENCE_RESTORED=1       the database was restored from a backup: new epoch for every center
 *   PERMANENCE_DEMO=1           create the demo center "demo" (department 21) and its users
 *   PERMANENCE_HUBSANTE_CONFIG  JSON file of the Hub Santé link(s) (see src-server/hubsante/config.ts, README)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { markRestored, openServerDatabase, seedTenant } from './bootstrap.js';
import { startServer } from './server.js';
import { DEMO_TENANT } from './demo.js';
import { readHubConfig } from './hubsante/config.js';
import { exitOnUnhandledErrors } from '../src-node-shared/crash-handlers.js';

exitOnUnhandledErrors((message, error) => console.error(JSON.stringify({ level: 'fatal', time: Date.now(), msg: message, err: String((error as Error)?.stack ?? error) })));

const dataDir = resolve(process.env.PERMANENCE_SERVER_DATA_DIR ?? '.data/server');
mkdirSync(dataDir, { recursive: true });

function tokenSecret(): string {
  if (process.env.PERMANENCE_TOKEN_SECRET) return process.env.PERMANENCE_TOKEN_SECRET;
  const file = join(dataDir, 'token-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

// Checked before anything starts: a bad Hub configuration stops the server with the path at fault.
const hubsante = process.env.PERMANENCE_HUBSANTE_CONFIG ? readHubConfig(process.env.PERMANENCE_HUBSANTE_CONFIG) : [];

const db = await openServerDatabase({
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { pgliteDir: join(dataDir, 'pglite') }),
});
if (process.env.PERMANENCE_RESTORED === '1') await markRestored(db);
if (process.env.PERMANENCE_DEMO === '1') await seedTenant(db, DEMO_TENANT);

const server = await startServer({
  db,
  tokenSecret: tokenSecret(),
  tokenTtlSeconds: Number(process.env.PERMANENCE_TOKEN_TTL ?? 1800),
  host: process.env.PERMANENCE_SERVER_HOST ?? '127.0.0.1',
  port: Number(process.env.PERMANENCE_SERVER_PORT ?? 5790),
  logLevel: process.env.PERMANENCE_LOG_LEVEL ?? 'info',
  hubsante,
});
server.app.log.info({ url: server.url, engine: db.engine }, 'Permanence regulation server ready');

const stop = async () => {
  await server.close();
  await db.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
