/**
 * A whole site on this machine, on embedded defaults: the central regulation server on PGlite
 * (no database to install) with the demo center, and the browser shells of two workstations
 * connected to it, each with its own port and data folder (an ARM's and a physician's), so that a
 * new user sees a case go from one to the other. Used by `npm start` when the Electron binary is
 * absent. PERMANENCE_WORKSTATIONS sets how many (1 to 6), PERMANENCE_PORT the first port.
 */
import { printLaunchLinks } from '../src-node-shared/launch-links.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openServerDatabase, seedTenant } from '../src-server/bootstrap.js';
import { DEMO_EFFECTOR_PASSWORD, DEMO_EFFECTORS, DEMO_SECTORS, DEMO_TENANT } from '../src-server/demo.js';
import { hashPassword } from '../src-server/services/auth.js';
import { startServer } from '../src-server/server.js';
import { readHubConfig } from '../src-server/hubsante/config.js';
import { WorkstationCore } from '../src-main/core/workstation-core.js';
import { startWebHost } from '../src-main/web-host/web-host.js';
import { exitOnUnhandledErrors } from '../src-node-shared/crash-handlers.js';
import { startLocalPsc } from './local-psc/provider.js';

exitOnUnhandledErrors((message, error) => console.error(`[site] ${message}:`, error));

const root = resolve(process.env.PERMANENCE_DATA_DIR ?? '.data');
const serverDir = join(root, 'server');
mkdirSync(serverDir, { recursive: true });
const secretFile = join(serverDir, 'token-secret');
if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });

const db = await openServerDatabase({ pgliteDir: join(serverDir, 'pglite') });
await seedTenant(db, DEMO_TENANT);
// The demo center's sectors and effector doctors, the first time only (an admin's imports replace them).
const { rows: known } = await db.query<{ n: string }>("SELECT count(*) AS n FROM directories WHERE tenant = $1 AND kind IN ('sectors', 'effectors')", [DEMO_TENANT.id]);
if (Number(known[0]!.n) === 0) {
  for (const [kind, rows] of [['sectors', DEMO_SECTORS], ['effectors', DEMO_EFFECTORS]] as const) {
    await db.query('INSERT INTO directories (tenant, kind, version, data) VALUES ($1, $2, 1, $3)', [DEMO_TENANT.id, kind, JSON.stringify(rows)]);
  }
  for (const e of DEMO_EFFECTORS) {
    await db.query('INSERT INTO effector_accounts (tenant, effector_id, password_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [DEMO_TENANT.id, e.id, await hashPassword(DEMO_EFFECTOR_PASSWORD)]);
  }
}
// With the loopback Hub Santé (npm run hub:loopback writes this file), the demo center is linked to it.
const hubFile = process.env.PERMANENCE_HUBSANTE_CONFIG ?? join(root, 'hubsante-loopback.json');
const hubsante = existsSync(hubFile) ? readHubConfig(hubFile) : [];
// A local Pro Santé Connect (scripts/local-psc) for the demo's physician: RPPS 10003461033.
const serverPort = Number(process.env.PERMANENCE_SERVER_PORT ?? 5790);
const pscCallback = `http://127.0.0.1:${serverPort}/api/psc/callback`;
const DEMO_PSC_RPPS = '10003461033';
const psc = await startLocalPsc({
  port: Number(process.env.PERMANENCE_PSC_PORT ?? 5792),
  clients: [{ clientId: 'permanence-demo', clientSecret: 'demo-psc-client-secret', redirectUris: [pscCallback] }],
  professionals: [
    {
      subjectNameId: `8${DEMO_PSC_RPPS}`,
      givenName: 'Claire',
      familyName: 'ROUX',
      practices: [{ codeProfession: '10', codeSavoirFaire: 'SM54', activities: [{ raisonSocialeSite: 'Cabinet Roux', identifiantStructure: '21000000100000', codeModeExercice: 'L', adresse: 'Dijon' }] }],
    },
  ],
});
await db.query("UPDATE users SET rpps = $2 WHERE tenant = $1 AND login = 'medecin' AND rpps IS NULL", [DEMO_TENANT.id, DEMO_PSC_RPPS]);
const server = await startServer({
  db,
  tokenSecret: readFileSync(secretFile, 'utf8').trim(),
  port: serverPort,
  logLevel: 'warn',
  hubsante,
  psc: { discoveryUrl: psc.discoveryUrl, clientId: 'permanence-demo', clientSecret: 'demo-psc-client-secret', redirectUri: pscCallback },
});
// Two workstations by default, as in a center: the ARM's and the physician's (ports and data apart).
const STATIONS = [
  { who: 'ARM', login: 'arm' },
  { who: 'médecin régulateur', login: 'medecin' },
  { who: 'superviseur', login: 'superviseur' },
];
const count = Math.min(6, Math.max(1, Number(process.env.PERMANENCE_WORKSTATIONS ?? 2)));
const firstPort = Number(process.env.PERMANENCE_PORT ?? 5780);
const stations: { core: WorkstationCore; host: Awaited<ReturnType<typeof startWebHost>>; dataDir: string; who: string; login: string }[] = [];
for (let i = 0; i < count; i++) {
  // The first keeps the folder a single workstation used before (.data/workstation).
  const dataDir = join(root, i === 0 ? 'workstation' : `workstation-${i + 1}`);
  const core = WorkstationCore.open({
    dataDir,
    serverUrl: server.url,
    defaultTenant: DEMO_TENANT.id,
    // The demo center's telephony: the project's local Kamailio (scripts/services.sh).
    telephonyOrigins: [DEMO_TENANT.sip!.wsUrl],
    ...(process.env.PERMANENCE_IDLE_LOCK_SECONDS ? { idleLockSeconds: Number(process.env.PERMANENCE_IDLE_LOCK_SECONDS) } : {}),
  });
  const host = await startWebHost({ core, staticDir: resolve('dist/renderer'), port: firstPort + i });
  const role = STATIONS[i] ?? { who: `poste ${i + 1}`, login: '' };
  stations.push({ core, host, dataDir, ...role });
}

console.log(`Serveur central : ${server.url} (PGlite, ${serverDir})`);
if (hubsante.length) console.log(`Hub Santé : ${hubsante.map((h) => `${h.clientId} → ${h.url}/${h.vhost}`).join(', ')} (${hubFile})`);
for (const st of stations) console.log(`Poste ${st.who} : ${st.host.url}/  (données ${st.dataDir}${st.login ? `, compte ${st.login}` : ''})`);
printLaunchLinks(stations.map((st) => ({ label: `Ouvrir le poste ${st.who}`, launchUrl: () => st.host.launchUrl() })));
console.log(`Pro Santé Connect local : ${psc.discoveryUrl} (le médecin de démonstration : identifiant national 8${DEMO_PSC_RPPS})`);
console.log('Comptes de démonstration :');
for (const u of DEMO_TENANT.users) console.log(`  ${u.login.padEnd(12)} ${u.password.padEnd(24)} ${u.displayName}`);
console.log(`Page des médecins effecteurs (téléphone) : ${server.url}/effecteur/?centre=${DEMO_TENANT.id}`);
for (const e of DEMO_EFFECTORS) console.log(`  RPPS ${e.rpps}  ${DEMO_EFFECTOR_PASSWORD}  Dr ${e.firstName} ${e.lastName}`);

const stop = async () => {
  for (const st of stations) {
    await st.host.close();
    await st.core.close();
  }
  await server.close();
  await psc.close();
  await db.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
