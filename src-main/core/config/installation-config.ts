/**
 * The installation's configuration: which center this workstation belongs to, which servers it
 * talks to, where it keeps its data. Read by both shells (Electron and the browser shell's host)
 * the same way, before the core opens.
 *
 * Sources, in order: the machine-wide file that IT deploys (/etc/permanence/workstation.json,
 * %ProgramData%\Permanence\workstation.json), then the user's file, then the environment (for
 * development). The first source that sets a field decides it: what IT set cannot be changed by
 * a user's file nor by an environment variable (a user must not be able to point the workstation
 * at another server).
 *
 * A workstation without a central server runs only in the explicit training mode (fictitious
 * data, a banner on every screen, no administration), never as a silent fallback.
 */
import { join } from 'node:path';
import { z } from 'zod';

/** Addresses that never leave this machine: plain http:// is allowed only to them. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Why a central server's address is refused, in French, or null when it is acceptable. */
export function serverUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'adresse invalide (attendu : https://serveur.exemple.fr)';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? null : `http:// n’est accepté que vers ce poste lui-même ; le serveur ${url.hostname} doit être joint en https://`;
  }
  return `protocole ${url.protocol} non pris en charge (attendu : https://)`;
}

const ServerUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = serverUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const originOf = (protocols: readonly string[]) =>
  z.string().superRefine((value, ctx) => {
    try {
      const url = new URL(value);
      if (!protocols.includes(url.protocol)) ctx.addIssue({ code: 'custom', message: `attendu une adresse ${protocols.join(' ou ')}//` });
      else if (url.pathname !== '/' || url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'attendu une origine seule (sans chemin), par exemple wss://sip.exemple.fr:8443' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'adresse invalide' });
    }
  });

const int = (min: number, max: number, unit: string) =>
  z.number({ error: `nombre attendu (${unit})` }).int({ error: `nombre entier attendu (${unit})` }).min(min, { error: `au moins ${min} ${unit}` }).max(max, { error: `au plus ${max} ${unit}` });

export const InstallationConfigSchema = z.strictObject({
  /** 'center' (the default): joins its center's server. 'training': alone, fictitious data. */
  mode: z.enum(['center', 'training'], { error: 'attendu « center » ou « training »' }).optional(),
  /** The center (tenant) this workstation belongs to. */
  tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'identifiant de centre attendu (minuscules, chiffres, tirets)' }).optional(),
  /** The central servers, in order of preference (https:// unless on this machine). */
  serverUrls: z.array(ServerUrlSchema).min(1, { error: 'au moins une adresse' }).max(4, { error: 'au plus 4 adresses' }).optional(),
  /** SIP servers (ws:// or wss:// origins) the softphone may reach: the renderer's CSP allows these only. */
  sipOrigins: z.array(originOf(['wss:', 'ws:'])).max(8).optional(),
  /** Origins the desktop app may open in the system's browser (the SAS platform, the center's intranet). */
  externalLinks: z.array(originOf(['https:'])).max(16).optional(),
  /** Idle time before the screen locks (the center may ask for less per role). */
  idleLockSeconds: int(30, 3600, 'secondes').optional(),
  /** How long an offline login stays possible after the last login against the server. */
  offlineSessionHours: int(1, 72, 'heures').optional(),
  /** Closed cases kept on the workstation (never less than the 72 h of the repeat-caller look-up). */
  cacheRetentionDays: int(3, 90, 'jours').optional(),
  /**
   * Where the desktop app looks for its updates (a folder on a web server IT controls, https).
   * Without it, the address built into the installer (packaging/electron-builder.json).
   */
  updateUrl: z
    .string()
    .refine((v) => {
      try {
        return new URL(v).protocol === 'https:';
      } catch {
        return false;
      }
    }, { error: 'adresse https:// attendue' })
    .optional(),
  /** Where the encrypted cache and its key live, and where the logs go. */
  dataDir: z.string().min(1, { error: 'chemin attendu' }).optional(),
  logDir: z.string().min(1, { error: 'chemin attendu' }).optional(),
});
/** zod's own messages (wrong type) in French; the schema's messages above come first. */
const FRENCH = z.locales.fr();
export type InstallationConfig = z.infer<typeof InstallationConfigSchema>;
type Field = keyof InstallationConfig;

export type ConfigSource = 'machine' | 'user' | 'environment' | 'default';

export interface ResolvedInstallation {
  mode: 'center' | 'training';
  tenant: string | null;
  serverUrls: string[];
  sipOrigins: string[];
  externalLinks: string[];
  updateUrl: string | null;
  idleLockSeconds: number | null;
  offlineSessionHours: number;
  cacheRetentionDays: number;
  dataDir: string;
  logDir: string;
  /** Where each field came from (shown by check-config and in the support log). */
  sources: Partial<Record<Field, { source: ConfigSource; path?: string }>>;
}

export class InstallationConfigError extends Error {
  constructor(
    message: string,
    /** The file or variable at fault, and the field. */
    readonly where: string,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'InstallationConfigError';
  }
}

export interface ConfigLocations {
  machine: string;
  user: string;
}

/** Where IT and the user put the file, per operating system. */
export function configLocations(platform: NodeJS.Platform, env: Record<string, string | undefined>, home: string): ConfigLocations {
  if (platform === 'win32') {
    return {
      machine: join(env.ProgramData ?? 'C:\\ProgramData', 'Permanence', 'workstation.json'),
      user: join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Permanence', 'workstation.json'),
    };
  }
  if (platform === 'darwin') {
    return { machine: '/Library/Application Support/Permanence/workstation.json', user: join(home, 'Library', 'Application Support', 'Permanence', 'workstation.json') };
  }
  return { machine: '/etc/permanence/workstation.json', user: join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'permanence', 'workstation.json') };
}

/** The environment variables of development, as a partial configuration. */
const ENVIRONMENT: Record<string, { field: Field; parse: (v: string) => unknown }> = {
  PERMANENCE_MODE: { field: 'mode', parse: (v) => v },
  PERMANENCE_TENANT: { field: 'tenant', parse: (v) => v },
  PERMANENCE_SERVER_URL: { field: 'serverUrls', parse: list },
  PERMANENCE_SIP_ORIGINS: { field: 'sipOrigins', parse: list },
  PERMANENCE_EXTERNAL_LINKS: { field: 'externalLinks', parse: list },
  PERMANENCE_UPDATE_URL: { field: 'updateUrl', parse: (v) => v },
  PERMANENCE_IDLE_LOCK_SECONDS: { field: 'idleLockSeconds', parse: Number },
  PERMANENCE_OFFLINE_SESSION_HOURS: { field: 'offlineSessionHours', parse: Number },
  PERMANENCE_CACHE_RETENTION_DAYS: { field: 'cacheRetentionDays', parse: Number },
  PERMANENCE_DATA_DIR: { field: 'dataDir', parse: (v) => v },
  PERMANENCE_LOG_DIR: { field: 'logDir', parse: (v) => v },
};

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface ResolveInput {
  locations: ConfigLocations;
  env: Record<string, string | undefined>;
  /** The file's text, or null when there is none. */
  readFile: (path: string) => string | null;
  /** The shell's own defaults (its user-data folder). */
  defaults: { dataDir: string; logDir: string };
}

/** Reads, validates and merges the sources. Throws InstallationConfigError naming the bad field. */
export function resolveInstallation(input: ResolveInput): ResolvedInstallation {
  const layers: { source: ConfigSource; path?: string; values: InstallationConfig }[] = [];
  for (const source of ['machine', 'user'] as const) {
    const path = input.locations[source];
    const text = input.readFile(path);
    if (text === null) continue;
    layers.push({ source, path, values: parseFile(path, text) });
  }
  layers.push({ source: 'environment', values: parseEnvironment(input.env) });

  const sources: ResolvedInstallation['sources'] = {};
  const merged: InstallationConfig = {};
  for (const layer of layers) {
    for (const [field, value] of Object.entries(layer.values) as [Field, never][]) {
      if (value === undefined || field in merged) continue;
      merged[field] = value;
      sources[field] = { source: layer.source, ...(layer.path ? { path: layer.path } : {}) };
    }
  }
  const mode = merged.mode ?? 'center';
  const where = (field: Field) => sources[field]?.path ?? (sources[field]?.source === 'environment' ? 'variables d’environnement' : 'configuration');
  if (mode === 'training' && merged.serverUrls) {
    throw new InstallationConfigError('Le mode formation ne se connecte à aucun serveur : retirez « serverUrls » ou le mode « training ».', where('serverUrls'), 'serverUrls');
  }
  if (mode === 'center') {
    if (!merged.serverUrls) {
      throw new InstallationConfigError(
        `Aucun serveur central n’est configuré sur ce poste. Indiquez « serverUrls » et « tenant » dans ${input.locations.machine} ` +
          '(ou, pour une formation sans serveur, « "mode": "training" »).',
        input.locations.machine,
        'serverUrls',
      );
    }
    if (!merged.tenant) throw new InstallationConfigError(`Le centre (« tenant ») n’est pas configuré (${input.locations.machine}).`, input.locations.machine, 'tenant');
  }
  for (const field of ['dataDir', 'logDir'] as const) if (!merged[field]) sources[field] = { source: 'default' };
  return {
    mode,
    tenant: merged.tenant ?? null,
    serverUrls: merged.serverUrls ?? [],
    sipOrigins: merged.sipOrigins ?? [],
    externalLinks: merged.externalLinks ?? [],
    updateUrl: merged.updateUrl ?? null,
    idleLockSeconds: merged.idleLockSeconds ?? null,
    offlineSessionHours: merged.offlineSessionHours ?? 12,
    cacheRetentionDays: merged.cacheRetentionDays ?? 7,
    dataDir: merged.dataDir ?? input.defaults.dataDir,
    logDir: merged.logDir ?? input.defaults.logDir,
    sources,
  };
}

function parseFile(path: string, text: string): InstallationConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InstallationConfigError(`Configuration illisible (${path}) : ce n’est pas du JSON valide (${(error as Error).message}).`, path, null);
  }
  return validate(json, path, (field) => `« ${field} »`);
}

function parseEnvironment(env: Record<string, string | undefined>): InstallationConfig {
  const values: Record<string, unknown> = {};
  const variableOf: Record<string, string> = {};
  for (const [name, { field, parse }] of Object.entries(ENVIRONMENT)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    values[field] = parse(raw);
    variableOf[field] = name;
  }
  return validate(values, 'variables d’environnement', (field) => variableOf[field] ?? field);
}

function validate(value: unknown, where: string, nameOf: (field: string) => string): InstallationConfig {
  const parsed = InstallationConfigSchema.safeParse(value, { error: FRENCH.localeError });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new InstallationConfigError(`Configuration invalide (${where}) : champ inconnu « ${key} ».`, where, key);
  }
  if (issue.path.length === 0) throw new InstallationConfigError(`Configuration invalide (${where}) : un objet JSON est attendu.`, where, null);
  const field = String(issue.path[0]);
  const item = issue.path.length > 1 ? ` (élément ${Number(issue.path[1]) + 1})` : '';
  throw new InstallationConfigError(`Configuration invalide (${where}) : ${nameOf(field)}${item} — ${issue.message}.`, where, field);
}
