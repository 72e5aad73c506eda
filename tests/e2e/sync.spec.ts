/**
 * Two browser shells side by side, each with its own workstation core, against one central server:
 * an ARM and a physician.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect } from '@playwright/test';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { startWebHost, type WebHost } from '../../src-main/web-host/web-host.js';
import { freshDatabase, SIP_WS_URL, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { tempDir } from '../fixtures/tmp.js';
import { WorkstationPage } from './pages/workstation.js';
import { closeStationPages, stationPage } from './site.js';

test.afterEach(closeStationPages);

const STATIC = resolve(import.meta.dirname, '../../dist/renderer');
const shots = process.env.UPDATE_SCREENSHOTS ? resolve('docs/screenshots') : resolve('test-results/screenshots');
mkdirSync(shots, { recursive: true });

test('the ARM creates a case, the physician sees it at once, takes it, and the ARM sees who took it', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  let server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const hosts: { core: WorkstationCore; host: WebHost; cleanup: () => void }[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = tempDir();
    const core = WorkstationCore.open({ dataDir: dir.path, serverUrl: server.url, defaultTenant: TENANT, sync: { backoffMs: [100, 1000] }, telephonyOrigins: [SIP_WS_URL] });
    hosts.push({ core, host: await startWebHost({ core, staticDir: STATIC, port: 0 }), cleanup: dir.cleanup });
  }
  const armPage = await stationPage(browser);
  const drPage = await stationPage(browser);
  try {
    await armPage.goto(hosts[0]!.host.launchUrl());
    await drPage.goto(hosts[1]!.host.launchUrl());
    // A wrong password is refused with a clear message.
    await drPage.getByLabel('Identifiant').fill('dr1');
    await drPage.getByLabel('Mot de passe').fill('mauvais');
    await drPage.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await expect(drPage.getByRole('alert')).toHaveText('Identifiant ou mot de passe incorrect.');
    for (const [page, login] of [[armPage, 'arm1'], [drPage, 'dr1']] as const) {
      await page.getByLabel('Identifiant').fill(login);
      await page.getByLabel('Mot de passe').fill(`${login}-password`);
      await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
      await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    }
    const arm = new WorkstationPage(armPage);
    await arm.openNewCase();
    await armPage.keyboard.type('06 12 34 56 78');
    await armPage.getByLabel('Nom', { exact: true }).fill('Dupont');
    await armPage.getByLabel('Prénom').fill('Jeanne');
    await armPage.getByLabel('Date de naissance').fill('02/03/1950');
    await arm.chooseCommune('dijo', 'Dijon');
    await armPage.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
    await armPage.getByLabel(/P2 — urgent/).check();
    await armPage.keyboard.press('Alt+KeyE');
    await expect(armPage.locator('.case-header .status')).toHaveText('En attente de régulation');
    const sentAt = Date.now();

    // The physician's queue shows it without any action, within a second.
    const queue = drPage.getByRole('list', { name: 'File de régulation' });
    await expect(queue.getByText('DUPONT Jeanne')).toBeVisible({ timeout: 1_000 });
    const shownAfter = Date.now() - sentAt;
    expect(shownAfter).toBeLessThan(1_000);
    await queue.getByRole('button', { name: /DUPONT Jeanne/ }).click();
    await expect(drPage.getByRole('button', { name: /Prendre en charge/ })).toBeVisible();
    await drPage.keyboard.press('Alt+KeyP');
    await expect(drPage.locator('.case-header .status')).toHaveText('En régulation');
    await expect(drPage.locator('.taken-by')).toHaveText('Régulé par DR 1');

    // The ARM, still on the case, sees who took it.
    await expect(armPage.locator('.taken-by')).toHaveText('Régulé par DR 1');
    await expect(armPage.locator('.case-header .status')).toHaveText('En régulation');
    await drPage.screenshot({ path: `${shots}/physician-took-case.png` });

    // The server goes away: the ARM's screen says so, and since when; work goes on locally.
    await server.close();
    await expect(armPage.getByRole('alert').filter({ hasText: 'Hors ligne depuis' })).toBeVisible({ timeout: 10_000 });
    await arm.openNewCase();
    await armPage.keyboard.type('03 80 00 00 00');
    await armPage.keyboard.press('Alt+KeyS');
    await expect(armPage.getByRole('alert').filter({ hasText: 'en attente d’envoi' })).toBeVisible();
    await armPage.screenshot({ path: `${shots}/arm-offline.png` });
    // It comes back: the offline case goes up, everyone is online again.
    server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', port: server.port, heartbeatMs: 1000 });
    await expect(armPage.getByRole('status').filter({ hasText: /^● En ligne$/ })).toBeVisible({ timeout: 15_000 });
    await expect(drPage.getByRole('list', { name: 'Dossiers récents' }).getByText('06 12 34 56 78').or(drPage.getByText('03 80 00 00 00')).first()).toBeVisible();
  } finally {
    for (const h of hosts) {
      await h.host.close();
      await h.core.close();
      h.cleanup();
    }
    await server.close();
    await db.close();
    await drop();
  }
});
