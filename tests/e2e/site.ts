/**
 * A center for end-to-end tests: workstations (core + browser-shell host on a fresh data folder),
 * on a central server or standalone, allowed to reach the project's Kamailio; and the login form
 * as a user fills it.
 */
import { effectorPassword } from '../fixtures/effectors.js';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';
import { WorkstationCore, type CoreOptions } from '../../src-main/core/workstation-core.js';
import { startWebHost, type WebHost } from '../../src-main/web-host/web-host.js';
import { SIP_WS_URL, TENANT } from '../fixtures/sync-harness.js';
import { tempDir } from '../fixtures/tmp.js';

export const STATIC = resolve(import.meta.dirname, '../../dist/renderer');
export const SHOTS = process.env.UPDATE_SCREENSHOTS ? resolve('docs/screenshots') : resolve('test-results/screenshots');
mkdirSync(SHOTS, { recursive: true });

export interface Station {
  core: WorkstationCore;
  host: WebHost;
  close(): Promise<void>;
}

/** A workstation on the central server at `serverUrl` (or standalone without it). */
export async function openStation(serverUrl: string | null, options: Partial<CoreOptions> = {}): Promise<Station> {
  const dir = tempDir();
  const core = WorkstationCore.open({
    dataDir: dir.path,
    telephonyOrigins: [SIP_WS_URL],
    ...(serverUrl ? { serverUrl, defaultTenant: TENANT, sync: { backoffMs: [100, 1000] } } : {}),
    ...options,
  });
  const host = await startWebHost({ core, staticDir: STATIC, port: 0 });
  return {
    core,
    host,
    async close() {
      await host.close();
      await core.close();
      dir.cleanup();
    },
  };
}

/** The server login form, filled as a user does (test accounts: `<login>-password`). */
export async function serverLogin(page: Page, login: string): Promise<void> {
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe').fill(`${login}-password`);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
}

/**
 * A new browser page as a French center's screen is set up (a context made with `browser.newContext`
 * does not get the config's locale and time zone by itself).
 */
export async function stationPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', ...options });
  openContexts.add(context);
  context.on('close', () => openContexts.delete(context));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  consoleErrors.set(page, errors);
  return page;
}

/** What each page opened by stationPage logged as an error in its console (a CSP violation, an exception). */
export const consoleErrors = new WeakMap<Page, string[]>();

const openContexts = new Set<BrowserContext>();
/**
 * Close the pages a test opened (`test.afterEach(closeStationPages)`): a page left open keeps its
 * softphone registered and would ring in the next test.
 */
export async function closeStationPages(): Promise<void> {
  await Promise.all([...openContexts].map((c) => c.close().catch(() => {})));
}

export const PHONE_VIEWPORT = { viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** An effector's phone page on the central server, logged in (test accounts: effectorPassword(RPPS)). */
export async function effectorPage(browser: Browser, serverUrl: string, rpps: string, query = ''): Promise<Page> {
  const page = await stationPage(browser, PHONE_VIEWPORT);
  await page.goto(`${serverUrl}/effecteur/?centre=${TENANT}${query}`);
  await page.getByLabel('RPPS').fill(rpps);
  await page.getByLabel('Mot de passe').fill(effectorPassword(rpps));
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
  return page;
}

/** Audio packets the page's softphone received on its current call (its own diagnostics; 0 without a call). */
export async function audioPacketsReceived(page: Page): Promise<number> {
  const stats = await page.evaluate(() => (window as unknown as { permanencePhone: { stats(): Promise<{ received: number; sent: number } | null> } }).permanencePhone.stats());
  return stats?.received ?? 0;
}
