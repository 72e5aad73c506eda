/**
 * Starts the browser shell: the workstation core + the web host, on 127.0.0.1.
 *   PERMANENCE_DATA_DIR  where the cache lives (default: ./.data/workstation)
 *   PERMANENCE_PORT      port (default 5780; 0 = any free port)
 *   PERMANENCE_STATIC    built renderer (default: ./dist/renderer)
 *   PERMANENCE_SERVER_URL central regulation server (default: none, standalone workstation)
 *   PERMANENCE_TENANT    center used by the login form (default: none, asked at login)
 */
import { printLaunchLinks } from '../../src-node-shared/launch-links.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkstationCore } from '../core/workstation-core.js';
import { startWebHost } from './web-host.js';
import { exitOnUnhandledErrors } from '../../src-node-shared/crash-handlers.js';

exitOnUnhandledErrors((message, error) => console.error(`[web-host] ${message}:`, error));

const dataDir = resolve(process.env.PERMANENCE_DATA_DIR ?? '.data/workstation');
const staticDir = resolve(process.env.PERMANENCE_STATIC ?? 'dist/renderer');
const port = Number(process.env.PERMANENCE_PORT ?? 5780);

if (!existsSync(resolve(staticDir, 'index.html'))) {
  console.error(`Interface non construite (${staticDir}/index.html absent) : lancez « npm run build » d’abord.`);
  process.exit(1);
}
let core: WorkstationCore;
try {
  core = WorkstationCore.open({
    dataDir,
    ...(process.env.PERMANENCE_SERVER_URL ? { serverUrl: process.env.PERMANENCE_SERVER_URL } : {}),
    ...(process.env.PERMANENCE_TENANT ? { defaultTenant: process.env.PERMANENCE_TENANT } : {}),
    ...(process.env.PERMANENCE_SIP_ORIGINS ? { telephonyOrigins: process.env.PERMANENCE_SIP_ORIGINS.split(',').map((o) => o.trim()) } : {}),
    registry: { onInternalError: (m, e) => console.error(`[core] ${m}:`, e) },
     ...(process.env.PERMANENCE_IDLE_LOCK_SECONDS ? { idleLockSeconds: Number(process.env.PERMANENCE_IDLE_LOCK_SECONDS) } : {}),
  });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const host = await startWebHost({ core, staticDir, port, log: (m) => console.warn(`[web-host] ${m}`) });
printLaunchLinks([{ label: 'Permanence (navigateur)', launchUrl: () => host.launchUrl() }]);
console.log(`Données locales : ${dataDir}`);
const stop = async () => {
  await host.close();
  await core.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
