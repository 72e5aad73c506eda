/**
 * A workstation left alone locks (idle time shortened here to 3 s; 5 min in a center): the screen
 * hides every patient datum while a scripted caller's call goes on and can be hung up; a wrong
 * password keeps it locked; the same user unlocks with his password and finds his case; later
 * another user unlocking ends the first one's session and works under his own name.
 */
import { test, expect } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, SIP_WS_URL, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { closeStationPages, openStation, serverLogin, SHOTS, stationPage } from './site.js';

test.afterEach(closeStationPages);

test('idle: the workstation locks, the call goes on, the same user unlocks; another user unlocking logs the first one out', async ({ browser }) => {
  test.setTimeout(90_000);
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const station = await openStation(server.url, { idleLockSeconds: 3 });
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  const page = await stationPage(browser);
  try {
    await page.goto(station.host.launchUrl());
    await serverLogin(page, 'arm1');
    await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    // A patient calls; the ARM answers and types the patient's name.
    const caller = await trunk.call({ from: '0644444444', to: 'arm1' });
    await expect(page.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await page.keyboard.press('Alt+KeyD');
    await expect.poll(() => caller.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);
    await expect(page.getByLabel('Nom', { exact: true })).toBeVisible();
    await page.getByLabel('Nom', { exact: true }).fill('Verrier');
    await page.getByLabel('Nom', { exact: true }).blur();
    await page.mouse.click(5, 400);

    // Nobody touches the workstation: it locks; nothing of the patient stays on screen.
    const lock = page.getByRole('form', { name: 'Déverrouiller le poste' });
    await expect(lock).toBeVisible({ timeout: 10_000 });
    await expect(page.locator('body')).not.toContainText('VERRIER', { ignoreCase: true });
    await expect(page.locator('body')).not.toContainText('44 44 44');
    await expect(page.getByRole('list', { name: 'File de régulation' })).toHaveCount(0);
    // The call goes on: the audio still flows both ways while locked.
    await expect(lock.getByRole('status')).toContainText('Appel en cours');
    const during = caller.rtp().received;
    await expect.poll(() => caller.rtp().received, { timeout: 5_000 }).toBeGreaterThan(during + 25);
    // The core refuses the work behind the screen too, not only the page.
    const refused = await station.core.registry.call('queue.list', { limit: 10 });
    expect(!refused.ok && refused.error.code).toBe('not_logged_in');
    await page.screenshot({ path: `${SHOTS}/lock-screen.png` });

    // A wrong password keeps it locked; the right one opens it on the same case.
    await lock.getByLabel('Mot de passe').fill('not-my-password');
    await lock.getByRole('button', { name: 'Déverrouiller', exact: true }).click();
    await expect(lock.getByRole('alert')).toHaveText('Mot de passe incorrect.');
    await lock.getByLabel('Mot de passe').fill('arm1-password');
    await lock.getByRole('button', { name: 'Déverrouiller', exact: true }).click();
    await expect(page.getByLabel('Nom', { exact: true })).toHaveValue(/VERRIER/i);

    // Locked again, the call can be hung up from the lock screen.
    await expect(lock).toBeVisible({ timeout: 10_000 });
    await lock.getByRole('button', { name: 'Raccrocher' }).click();
    await caller.ended;

    // Another ARM takes the workstation: the first session ends here and on the server.
    await lock.getByLabel('Identifiant').fill('arm2');
    await expect(lock).toContainText('la session de ARM 1 sera fermée');
    await lock.getByLabel('Mot de passe').fill('arm2-password');
    await lock.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await expect(page.getByRole('button', { name: /^ARM 2/ })).toBeVisible();
    const { rows } = await db.query<{ principal: string; ended_reason: string | null }>("SELECT principal, ended_reason FROM sessions WHERE principal IN ('cote-dor:arm1', 'cote-dor:arm2') ORDER BY started_at");
    expect(rows).toEqual([
      { principal: 'cote-dor:arm1', ended_reason: 'logout' },
      { principal: 'cote-dor:arm2', ended_reason: null },
    ]);
    // Lock and unlock are traced with the reads.
    await expect
      .poll(async () => (await db.query<{ action: string }>("SELECT action FROM access_audit WHERE action LIKE 'session.%' ORDER BY id")).rows.map((r) => r.action))
      .toEqual(['session.lock', 'session.unlock', 'session.lock', 'session.unlock']);
  } finally {
    await trunk.stop();
    await station.close();
    await server.close();
    await db.close();
    await drop();
  }
});
