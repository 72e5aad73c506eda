/**
 * Reads the installation's configuration from this machine's files and environment (see
 * installation-config.ts for the rules), and turns it into the core's options.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { configLocations, InstallationConfigError, resolveInstallation, type ConfigLocations, type ResolvedInstallation } from './installation-config.js';
import type { CoreOptions } from '../workstation-core.js';

export interface LoadOptions {
  /** The shell's defaults for data and logs (its user-data folder). */
  defaults: { dataDir: string; logDir: string };
  env?: Record<string, string | undefined>;
  /** Other file locations (tests; PERMANENCE_CONFIG_DIR for a development checkout). */
  locations?: ConfigLocations;
}

export function loadInstallation(options: LoadOptions): ResolvedInstallation {
  const env = options.env ?? process.env;
  const locations = options.locations ?? configLocations(process.platform, env, homedir());
  return resolveInstallation({
    locations,
    env,
    defaults: options.defaults,
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw new InstallationConfigError(`Configuration illisible (${path}) : ${code === 'EACCES' ? 'accès refusé à ce compte' : (error as Error).message}.`, path, null);
      }
    },
  });
}

/** The core's options that come from the installation (the shell adds its own: key sealer, logs). */
export function coreOptionsFrom(installation: ResolvedInstallation): Pick<CoreOptions, 'dataDir' | 'serverUrl' | 'fallbackServerUrls' | 'defaultTenant' | 'telephonyOrigins' | 'idleLockSeconds' | 'offlineSessionHours' | 'cacheRetentionDays'> {
  return {
    dataDir: installation.dataDir,
    ...(installation.mode === 'center' ? { serverUrl: installation.serverUrls[0]!, fallbackServerUrls: installation.serverUrls.slice(1), defaultTenant: installation.tenant! } : {}),
    ...(installation.sipOrigins.length ? { telephonyOrigins: installation.sipOrigins } : {}),
    ...(installation.idleLockSeconds !== null ? { idleLockSeconds: installation.idleLockSeconds } : {}),
    offlineSessionHours: installation.offlineSessionHours,
    cacheRetentionDays: installation.cacheRetentionDays,
  };
}
