/**
 * Starts the browser shell: the workstation core + the web host, on 127.0.0.1.
 *
 * The installation's configuration is read as the desktop app reads it (machine file, user file,
 * then environment: see src-main/core/config/installation-config.ts). Development variables:
 *   PERMANENCE_SERVER_URL, PERMANENCE_TENANT   the center's server and tenant
 *   PERMANENCE_MODE=training                   a workstation without a server (training mode)
 *   PERMANENCE_DATA_DIR                        where the cache lives (default: ./.data/workstation)
 *   PERMANENCE_CONFIG_FILE                     read this file in place of the machine-wide one
 *   PERMANENCE_PORT      port (default 5780; 0 = any free port)
 *   PERMANENCE_STATIC    built renderer (default: ./dist/renderer)
 * The browser shell keeps its cache key in a file protected by its mode only: development and
 * demonstrations, not a production workstation (that is the desktop app, whose key the OS keeps).
 */
import { printLaunchLinks } from '../../src-node-shared/launch-links.js';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { WorkstationCore } from '../core/workstation-core.js';
import { startWebHost } from './web-host.js';
import { exitOnUnhandledErrors } from '../../src-node-shared/crash-handlers.js';
import { coreOptionsFrom, loadInstallation } from '../core/config/load-installation.js';
import { configLocations, type ResolvedInstallation } from '../core/config/installation-config.js';

exitOnUnhandledErrors((message, error) => console.error(`[web-host] ${message}:`, error));

const staticDir = resolve(process.env.PERMANENCE_STATIC ?? 'dist/renderer');
const port = Number(process.env.PERMANENCE_PORT ?? 5780);

if (!existsSync(resolve(staticDir, 'index.html'))) {
  console.error(`Interface non construite (${staticDir}/index.html absent) : lancez « npm run build » d’abord.`);
  process.exit(1);
}
let core: WorkstationCore;
let installation: ResolvedInstallation;
try {
  const locations = configLocations(process.platform, process.env, homedir());
  installation = loadInstallation({
    defaults: { dataDir: resolve('.data/workstation'), logDir: resolve('.data/logs') },
    locations: process.env.PERMANENCE_CONFIG_FILE ? { ...locations, machine: resolve(process.env.PERMANENCE_CONFIG_FILE) } : locations,
  });
  core = WorkstationCore.open({
    ...coreOptionsFrom(installation),
    dataDir: resolve(installation.dataDir),
    registry: { onInternalError: (m, e) => console.error(`[core] ${m}:`, e) },
  });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const host = await startWebHost({ core, staticDir, port, log: (m) => console.warn(`[web-host] ${m}`) });
printLaunchLinks([{ label: 'Permanence (navigateur)', launchUrl: () => host.launchUrl() }]);
console.log(
  installation.mode === 'training'
    ? 'Mode formation : aucun serveur central, données fictives uniquement.'
    : `Centre ${installation.tenant} · serveur ${installation.serverUrls[0]}`,
);
console.log(`Données locales : ${resolve(installation.dataDir)}`);
const stop = async () => {
  await host.close();
  await core.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
