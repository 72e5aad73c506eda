/**
 * The center requires a second factor: a physician logging in with his password alone is asked to
 * enrol (QR code, or the key typed in the app), confirms with a first code, works; at his next login
 * the form asks for the app's code after the password.
 */
import { test, expect } from '@playwright/test';
import { generate } from 'otplib';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, rawLogin, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { closeStationPages, openStation, serverLogin, SHOTS, stationPage } from './site.js';

test.afterEach(closeStationPages);

test('a physician enrols the second factor the center requires, then logs in with password and code', async ({ browser }) => {
  test.setTimeout(60_000);
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const station = await openStation(server.url);
  const page = await stationPage(browser);
  try {
    const admin = await rawLogin(server.url, 'admin1');
    const res = await fetch(`${server.url}/api/settings/security`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requireSecondFactor: true, idleLockSeconds: { arm: 300, physician: 300, supervisor: 300, admin: 300 } }),
    });
    expect(res.status).toBe(200);

    await page.goto(station.host.launchUrl());
    await serverLogin(page, 'dr2');
    const enrol = page.getByRole('form', { name: 'Second facteur requis' });
    await expect(enrol).toBeVisible();
    // Nothing of the center behind it until the second factor is there.
    await expect(page.getByRole('list', { name: 'File de régulation' })).toHaveCount(0);
    await enrol.getByRole('button', { name: 'Afficher le code à scanner' }).click();
    await expect(enrol.getByRole('img', { name: /QR code/ })).toBeVisible();
    const secret = (await enrol.locator('.mono').first().innerText()).replace(/\s/g, '');
    await page.screenshot({ path: `${SHOTS}/second-factor-enrolment.png` });
    // The app's code (of the previous 30 s, so that the next login's code is a newer one).
    await enrol.getByLabel('Code affiché par l’application').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }));
    await enrol.getByRole('button', { name: 'Valider' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();

    // Next login: the password, then the code the form asks for.
    await page.getByRole('button', { name: /^DR 2/ }).click();
    await page.getByRole('menuitem', { name: 'Se déconnecter' }).click();
    await serverLogin(page, 'dr2');
    await expect(page.getByRole('alert')).toHaveText('Code de l’application d’authentification requis.');
    await page.getByLabel('Code de l’application d’authentification').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) }));
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    const { rows } = await db.query<{ method: string }>("SELECT method FROM sessions WHERE principal = 'cote-dor:dr2' ORDER BY started_at");
    expect(rows.map((r) => r.method)).toEqual(['password+totp', 'password+totp']);

    // The admin sees who is logged in where, and ends the physician's session from his screen.
    await fetch(`${server.url}/api/settings/security`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requireSecondFactor: false, idleLockSeconds: { arm: 300, physician: 300, supervisor: 300, admin: 300 } }),
    });
    const adminStation = await openStation(server.url);
    const adminPage = await stationPage(browser);
    try {
      await adminPage.goto(adminStation.host.launchUrl());
      await serverLogin(adminPage, 'admin1');
      await adminPage.getByRole('button', { name: 'Comptes et sécurité' }).click();
      const open = adminPage.getByRole('region', { name: 'Sessions ouvertes' });
      const row = open.getByRole('row', { name: /DR 2 \(Médecin régulateur\)/ });
      await expect(row).toContainText('mot de passe + code');
      await expect(row).toContainText(`poste ${station.core.workstationId.slice(-6)}`);
      await adminPage.screenshot({ path: `${SHOTS}/admin-sessions.png` });
      await row.getByRole('button', { name: 'Terminer' }).click();
      await expect(adminPage.getByRole('status').filter({ hasText: 'Session de DR 2' })).toBeVisible();
      await expect(open.getByRole('row', { name: /DR 2/ })).toHaveCount(0);
      // The physician's workstation learns it at once (its socket is closed) and asks him to log in again.
      await expect(page.getByText('Session expirée')).toBeVisible({ timeout: 10_000 });
    } finally {
      await adminStation.close();
    }
  } finally {
    await station.close();
    await server.close();
    await db.close();
    await drop();
  }
});
