/**
 * The server's settings that the command line checks before doing anything: which database (never
 * a silent fallback to the embedded one), the TLS files. Messages in French, naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export type DatabaseChoice =
  | { engine: 'postgres'; config: { databaseUrl: string }; label: string; url: string }
  | { engine: 'pglite'; config: { pgliteDir: string }; label: string; dir: string };

export function databaseChoice(env: Record<string, string | undefined>, embedded: boolean, dataDir: string): DatabaseChoice {
  const url = env.DATABASE_URL;
  if (url && embedded) throw new CliError('DATABASE_URL et --embedded s’excluent : choisissez PostgreSQL ou la base embarquée.');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError('DATABASE_URL doit être une adresse postgres://utilisateur@hôte:port/base.');
    return { engine: 'postgres', config: { databaseUrl: url }, label: `PostgreSQL ${redact(url)}`, url };
  }
  if (embedded) {
    const dir = join(dataDir, 'pglite');
    return { engine: 'pglite', config: { pgliteDir: dir }, label: `PGlite embarquée (${dir})`, dir };
  }
  throw new CliError(
    'Aucune base de données configurée : indiquez DATABASE_URL (PostgreSQL, en production) ou lancez avec --embedded ' +
      '(base embarquée PGlite : démonstration, formation, très petit site).',
  );
}

/** The password never appears in a message or a log. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export function tlsFiles(env: Record<string, string | undefined>): { cert: Buffer; key: Buffer } | null {
  const [cert, key] = [env.PERMANENCE_TLS_CERT, env.PERMANENCE_TLS_KEY];
  if (!cert && !key) return null;
  if (!cert || !key) throw new CliError('HTTPS : indiquez à la fois PERMANENCE_TLS_CERT (certificat, PEM) et PERMANENCE_TLS_KEY (clé privée, PEM).');
  const read = (path: string, name: string) => {
    if (!existsSync(path)) throw new CliError(`HTTPS : ${name} désigne un fichier absent (${path}).`);
    const content = readFileSync(path);
    if (!content.includes('-----BEGIN')) throw new CliError(`HTTPS : ${name} (${path}) n’est pas un fichier PEM.`);
    return content;
  };
  return { cert: read(cert, 'PERMANENCE_TLS_CERT'), key: read(key, 'PERMANENCE_TLS_KEY') };
}

/** check-config: every setting read and tried (the database reached), nothing changed. */
export async function checkServerConfig(env: Record<string, string | undefined>, choice: DatabaseChoice): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    lines.push(`✗ ${line}`);
  };
  lines.push(`✓ base : ${choice.label}`);
  if (choice.engine === 'postgres') {
    const client = new pg.Client({ connectionString: choice.url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ v: number | null }>("SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN NULL ELSE (SELECT max(version) FROM schema_migrations) END AS v");
      lines.push(`✓ PostgreSQL joignable, schéma ${rows[0]?.v ?? 'absent (lancez « permanence-server migrate »)'}`);
    } catch (error) {
      fail(`PostgreSQL injoignable : ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  const secret = env.PERMANENCE_TOKEN_SECRET;
  if (secret !== undefined && secret.length < 32) fail('PERMANENCE_TOKEN_SECRET : au moins 32 caractères');
  else lines.push(`✓ secret des jetons : ${secret ? 'PERMANENCE_TOKEN_SECRET' : 'fichier token-secret du dossier de données'}`);
  try {
    const tls = tlsFiles(env);
    lines.push(tls ? '✓ HTTPS : certificat et clé lisibles' : '• HTTP simple : à n’utiliser que derrière un mandataire inverse en HTTPS, ou sur ce poste');
  } catch (error) {
    fail((error as Error).message);
  }
  const port = Number(env.PERMANENCE_SERVER_PORT ?? 5790);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PERMANENCE_SERVER_PORT : port invalide (${env.PERMANENCE_SERVER_PORT})`);
  return { ok, lines };
}
