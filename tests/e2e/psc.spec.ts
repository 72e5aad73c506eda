/**
 * A physician logs in with Pro Santé Connect in Chromium, against the local PSC-shaped provider:
 * the button opens PSC's page in a window, the doctor proves who he is there (the e-CPS app's
 * part, played by the provider's form), comes back: his workstation is open under his account.
 */
import { test, expect } from '@playwright/test';
import { startLocalPsc } from '../../scripts/local-psc/provider.js';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { freePort } from '../fixtures/psc.js';
import { closeStationPages, openStation, SHOTS, stationPage } from './site.js';

test.afterEach(closeStationPages);

test('a physician logs in with Pro Santé Connect and works under his account', async ({ browser }) => {
  test.setTimeout(60_000);
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/api/psc/callback`;
  const psc = await startLocalPsc({
    clients: [{ clientId: 'permanence-21', clientSecret: 'psc-secret-e2e', redirectUris: [callback] }],
    professionals: [
      {
        subjectNameId: '810003461033',
        givenName: 'Claire',
        familyName: 'MOREAU',
        practices: [{ codeProfession: '10', codeSavoirFaire: 'SM54', activities: [{ raisonSocialeSite: 'Cabinet Moreau', identifiantStructure: '21000000100000', codeModeExercice: 'L', adresse: 'Dijon' }] }],
      },
    ],
  });
  const { db, drop } = await freshDatabase('pglite');
  await db.query("UPDATE users SET rpps = '10003461033' WHERE id = 'cote-dor:dr1'");
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000, port, psc: { discoveryUrl: psc.discoveryUrl, clientId: 'permanence-21', clientSecret: 'psc-secret-e2e', redirectUri: callback } });
  const station = await openStation(server.url);
  const page = await stationPage(browser);
  try {
    await page.goto(station.host.launchUrl());
    await expect(page.getByRole('button', { name: 'Se connecter avec Pro Santé Connect' })).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/login-psc.png` });
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Se connecter avec Pro Santé Connect' }).click()]);
    await popup.getByLabel('Identifiant national (8 + RPPS)').fill('810003461033');
    await popup.getByRole('button', { name: 'Valider avec e-CPS' }).click();
    await expect(popup.getByRole('heading', { name: 'Connexion réussie' })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible({ timeout: 10_000 });
    await expect(page.getByRole('button', { name: /^DR 1/ })).toBeVisible();
    const { rows } = await db.query<{ method: string; acr: string }>("SELECT method, acr FROM sessions WHERE principal = 'cote-dor:dr1'");
    expect(rows).toEqual([{ method: 'psc', acr: 'eidas1' }]);

    // Locked (he left the workstation), he unlocks it with PSC again: a new session, the old one ended.
    await station.core.registry.call('session.lock', {});
    const lock = page.getByRole('form', { name: 'Déverrouiller le poste' });
    await expect(lock).toBeVisible();
    // PSC's page opens again; PSC still has his session (as the real one does for hours): no form,
    // straight back to the workstation.
    await popup.close();
    const [again] = await Promise.all([page.waitForEvent('popup'), lock.getByRole('button', { name: 'Déverrouiller avec Pro Santé Connect' }).click()]);
    await expect(again.getByRole('heading', { name: 'Connexion réussie' })).toBeVisible();
    await expect(page.getByRole('button', { name: /^DR 1/ })).toBeVisible({ timeout: 10_000 });
    await expect(lock).toHaveCount(0);
    const after = await db.query<{ ended_reason: string | null }>("SELECT ended_reason FROM sessions WHERE principal = 'cote-dor:dr1' ORDER BY started_at");
    expect(after.rows.map((r) => r.ended_reason)).toEqual(['logout', null]);
  } finally {
    await station.close();
    await server.close();
    await db.close();
    await drop();
    await psc.close();
  }
});
