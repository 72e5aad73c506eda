/**
 * permanence-server: the central regulation server's command line.
 *
 *   permanence-server [serve] [--embedded]   run the server (PostgreSQL from DATABASE_URL; PGlite only with --embedded)
 *   permanence-server init --tenant <id> --name <nom> --department <dd> --admin <login> [--display-name <nom>]
 *                                            the first center and its administrator (password asked, never on the command line)
 *   permanence-server migrate                bring the database to this version's schema
 *   permanence-server backup <file>          PostgreSQL: pg_dump, then restored into a scratch database and counted
 *                                            PGlite (--embedded, server stopped): a data-folder archive, loaded and counted
 *   permanence-server restore [--from <file>] after restoring a backup: a new epoch for every center, once
 *   permanence-server check-config           read and check the configuration, say what is wrong, change nothing
 *
 * Environment (safe defaults):
 *   PERMANENCE_SERVER_HOST      bind address (default 127.0.0.1)
 *   PERMANENCE_SERVER_PORT      port (default 5790)
 *   DATABASE_URL                PostgreSQL (postgres://…)
 *   PERMANENCE_SERVER_DATA_DIR  data folder of the embedded database and token secret (default .data/server)
 *   PERMANENCE_TOKEN_SECRET     token signing secret (≥ 32 chars); required with DATABASE_URL (every instance of the
 *                              center signs with it); with --embedded, generated once into the data folder
 *   PERMANENCE_INSTANCE_NAME    this instance's name (several instances on one database; default host-pid)
 *   PERMANENCE_ADVERTISED_URL   the address the other instances forward pushes to (default: this listener's)
 *   PERMANENCE_LEASE_MS         a frozen instance loses its centers after this long (default 10000)
 *   PERMANENCE_EXPECT_STANDBY=1 the database has a synchronous standby (Patroni): the wall screen says when it is missing
 *   PERMANENCE_TOKEN_TTL        token lifetime in seconds (default 1800)
 *   PERMANENCE_TLS_CERT, PERMANENCE_TLS_KEY  HTTPS with this certificate and key (PEM files), with HSTS
 *   PERMANENCE_PUBLIC_HOST, PERMANENCE_PUBLIC_PORT  a second listener for the internet: the effector page, its API and
 *                              Pro Santé Connect's return only (the regulation API stays on the first)
 *   PERMANENCE_TRUST_PROXY      the reverse proxies whose X-Forwarded-For is believed (addresses, comma-separated)
 *   PERMANENCE_LOG_LEVEL        pino level (default info)
 *   PERMANENCE_DEMO=1           create the demo center "demo" (department 21) and its users
 *   PERMANENCE_HUBSANTE_CONFIG  JSON file of the Hub Santé link(s) (see src-server/hubsante/config.ts, README)
 *   PERMANENCE_LINES_CONFIG     JSON file of the center's lines and Kamailio's evapi address: the call distributor
 *                               (see src-server/telephony/telephony-config.ts, README "Téléphonie")
 *   PERMANENCE_RECORDINGS_KEY_FILE  the recordings' encryption key (32 bytes, base64); required with DATABASE_URL and lines
 *                              (every instance reads them); with --embedded, made once in the data folder
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { markRestored, openServerDatabase, seedTenant } from './bootstrap.js';
import { startServer } from './server.js';
import { DEMO_TENANT } from './demo.js';
import { readHubConfig } from './hubsante/config.js';
import { readTelephonyConfig } from './telephony/telephony-config.js';
import { exitOnUnhandledErrors } from '../src-node-shared/crash-handlers.js';
import { backupDatabase, restoreDatabase } from './operations/backup.js';
import { readPasswordFromTerminal } from './operations/ask-password.js';
import { initCenter } from './operations/init-center.js';
import { checkServerConfig, CliError, databaseChoice, tlsFiles } from './operations/server-config.js';

exitOnUnhandledErrors((message, error) => console.error(JSON.stringify({ level: 'fatal', time: Date.now(), msg: message, err: String((error as Error)?.stack ?? error) })));

const COMMANDS = ['serve', 'init', 'migrate', 'backup', 'restore', 'check-config'] as const;
type Command = (typeof COMMANDS)[number];

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    embedded: { type: 'boolean', default: false },
    tenant: { type: 'string' },
    name: { type: 'string' },
    department: { type: 'string' },
    admin: { type: 'string' },
    'display-name': { type: 'string' },
    from: { type: 'string' },
  },
  strict: true,
});
const command = (positionals[0] ?? 'serve') as Command;
const dataDir = resolve(process.env.PERMANENCE_SERVER_DATA_DIR ?? '.data/server');

try {
  if (!COMMANDS.includes(command)) throw new CliError(`Commande inconnue « ${command} » (attendu : ${COMMANDS.join(', ')}).`);
  if (process.env.PERMANENCE_RESTORED) {
    throw new CliError('PERMANENCE_RESTORED n’est plus lu (il créait une nouvelle époque à chaque démarrage) : après une restauration, lancez une fois « permanence-server restore ».');
  }
  const choice = databaseChoice(process.env, flags.embedded ?? false, dataDir);
  switch (command) {
    case 'serve':
      await serve(choice);
      break;
    case 'migrate': {
      const db = await openServerDatabase(choice.config);
      console.log(`Base à jour (${choice.label}).`);
      await db.close();
      break;
    }
    case 'init': {
      const password = await readPasswordFromTerminal(`Mot de passe de l’administrateur ${flags.admin ?? ''} : `);
      const db = await openServerDatabase(choice.config);
      try {
        await initCenter(db, {
          tenant: required(flags.tenant, '--tenant'),
          name: required(flags.name, '--name'),
          department: required(flags.department, '--department'),
          admin: required(flags.admin, '--admin'),
          displayName: flags['display-name'] ?? 'Administrateur',
          password,
        });
      } finally {
        await db.close();
      }
      console.log(`Centre « ${flags.tenant} » créé, administrateur « ${flags.admin} ».`);
      break;
    }
    case 'backup': {
      const file = resolve(required(positionals[1], 'le fichier de sauvegarde'));
      const report = await backupDatabase(choice, file);
      console.log(`Sauvegarde écrite : ${file} (${report.bytes} octets) ; vérifiée par une restauration d’essai : ${report.cases} dossiers, ${report.events} événements.`);
      break;
    }
    case 'restore': {
      if (flags.from) await restoreDatabase(choice, resolve(flags.from));
      const db = await openServerDatabase(choice.config);
      try {
        const centers = await markRestored(db);
        console.log(`Nouvelle époque pour ${centers} centre(s) : les postes renverront ce que la sauvegarde n’avait pas.`);
      } finally {
        await db.close();
      }
      break;
    }
    case 'check-config': {
      const report = await checkServerConfig(process.env, choice);
      for (const line of report.lines) console.log(line);
      if (!report.ok) process.exitCode = 1;
      break;
    }
  }
} catch (error) {
  if (error instanceof CliError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new CliError(`Il manque ${what}.`);
  return value;
}

async function serve(choice: ReturnType<typeof databaseChoice>): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Checked before anything starts: a bad Hub configuration stops the server with the path at fault.
  const hubsante = process.env.PERMANENCE_HUBSANTE_CONFIG ? readHubConfig(process.env.PERMANENCE_HUBSANTE_CONFIG) : [];
  const tls = tlsFiles(process.env);
  const lease = process.env.PERMANENCE_LEASE_MS ? leaseMs(process.env.PERMANENCE_LEASE_MS) : null;
  // Shared secrets first: an instance that would sign or encrypt with its own must not start at all.
  const secret = tokenSecret(choice.engine);
  const telephony = process.env.PERMANENCE_LINES_CONFIG ? linesConfig(process.env.PERMANENCE_LINES_CONFIG, choice.engine) : null;
  const db = await openServerDatabase(choice.config);
  // Checked against the schema just migrated: a center must exist before anyone can log in.
  if (process.env.PERMANENCE_DEMO === '1') await seedTenant(db, DEMO_TENANT);
  const server = await startServer({
    db,
    tokenSecret: secret,
    tokenTtlSeconds: Number(process.env.PERMANENCE_TOKEN_TTL ?? 1800),
    host: process.env.PERMANENCE_SERVER_HOST ?? '127.0.0.1',
    port: Number(process.env.PERMANENCE_SERVER_PORT ?? 5790),
    logLevel: process.env.PERMANENCE_LOG_LEVEL ?? 'info',
    hubsante,
    ...(telephony ? { telephony } : {}),
    ...(tls ? { tls } : {}),
    ...(process.env.PERMANENCE_PUBLIC_PORT
      ? { publicListener: { host: process.env.PERMANENCE_PUBLIC_HOST ?? '127.0.0.1', port: Number(process.env.PERMANENCE_PUBLIC_PORT) } }
      : {}),
    ...(process.env.PERMANENCE_TRUST_PROXY ? { trustProxy: process.env.PERMANENCE_TRUST_PROXY.split(',').map((p) => p.trim()) } : {}),
    expectStandby: process.env.PERMANENCE_EXPECT_STANDBY === '1',
    instance: {
      ...(process.env.PERMANENCE_INSTANCE_NAME ? { name: process.env.PERMANENCE_INSTANCE_NAME } : {}),
      ...(process.env.PERMANENCE_ADVERTISED_URL ? { advertisedUrl: process.env.PERMANENCE_ADVERTISED_URL } : {}),
      ...(lease ? { leaseMs: lease } : {}),
    },
  });
  server.app.log.info({ url: server.url, engine: db.engine }, 'Permanence regulation server ready');
  const stop = async () => {
    await server.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** How long a frozen instance keeps its centers: whole milliseconds, 1 s to 10 min. */
function leaseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1_000 || ms > 600_000) {
    throw new CliError(`PERMANENCE_LEASE_MS invalide (« ${value} ») : un nombre entier de millisecondes entre 1000 et 600000.`);
  }
  return ms;
}

/** The lines' configuration, or a clear refusal naming the file (never a crash). */
function linesConfig(file: string, engine: 'postgres' | 'pglite') {
  try {
    return readTelephonyConfig(file, () => recordingKey(engine));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`PERMANENCE_LINES_CONFIG (${file}) : ${(error as Error).message}`);
  }
}

/** The key the recordings are encrypted with: PERMANENCE_RECORDINGS_KEY_FILE, or made once in the data folder (back it up with the recordings). */
function recordingKey(engine: 'postgres' | 'pglite'): Buffer {
  // On PostgreSQL another instance may take the lines over: it must read what this one encrypted.
  if (engine === 'postgres' && !process.env.PERMANENCE_RECORDINGS_KEY_FILE) {
    throw new CliError('PERMANENCE_RECORDINGS_KEY_FILE manque : avec DATABASE_URL, toutes les instances chiffrent et lisent les enregistrements avec la même clé (32 octets en base64), donnée par la configuration.');
  }
  const file = process.env.PERMANENCE_RECORDINGS_KEY_FILE ?? join(dataDir, 'keys', 'recordings.key');
  if (!existsSync(file)) {
    if (process.env.PERMANENCE_RECORDINGS_KEY_FILE) throw new CliError(`PERMANENCE_RECORDINGS_KEY_FILE désigne un fichier absent (${file}).`);
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new CliError(`Clé des enregistrements invalide (${file}) : 32 octets en base64 attendus.`);
  return key;
}

function tokenSecret(engine: 'postgres' | 'pglite'): string {
  if (process.env.PERMANENCE_TOKEN_SECRET) return process.env.PERMANENCE_TOKEN_SECRET;
  // On PostgreSQL several instances may serve the center: a secret made in one data folder would
  // sign tokens the others refuse, so it comes from the configuration they share.
  if (engine === 'postgres') throw new CliError('PERMANENCE_TOKEN_SECRET manque : avec DATABASE_URL, toutes les instances du serveur signent avec le même secret (32 caractères au moins), donné par la configuration.');
  const file = join(dataDir, 'token-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

