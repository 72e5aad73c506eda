/**
 * The SAMU one call away, in Chromium: the SAMU's switchboard calls liberal regulation about a case
 * it sent over the Hub Santé (the Hub case id in X-Permanence-Hub-Case): the physician answers and
 * that case opens, not a new one; the physician then transfers the caller to the SAMU's regulator,
 * and the call that reaches the SAMU names the same Hub case (embedded in the REFER's Refer-To).
 */
import { test, expect } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, SIP_WS_URL, TOKEN_SECRET, TENANT } from '../fixtures/sync-harness.js';
import { HubDispatcherStub } from '../fixtures/hub-dispatcher.js';
import { ensureHubBroker, hubConfig, message, partnerCase, ScriptedPartner } from '../fixtures/hub.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { closeStationPages, openStation, serverLogin, SHOTS, stationPage } from './site.js';

test.afterEach(closeStationPages);

const LIBERAL = 'fr.health.snp210';
const SAMU = 'fr.health.samu210';

test('a call from the SAMU opens the case it sent; a transfer to the SAMU carries the Hub case id', async ({ browser }) => {
  test.setTimeout(90_000);
  ensureHubBroker();
  const stub = new HubDispatcherStub();
  await stub.start();
  const samu = await ScriptedPartner.open(SAMU);
  await (await ScriptedPartner.open(LIBERAL)).close();
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000, hubsante: [hubConfig(TENANT, LIBERAL, SAMU)], hubTickMs: 200 });
  // The SAMU's switchboard (on the trunk) and its regulator's phone.
  const switchboard = await ScriptedPhone.trunk(SIP_WS_URL);
  const samuRegulator = await ScriptedPhone.registered(SIP_WS_URL, 'samu1', 'samu1pass');
  const station = await openStation(server.url);
  try {
    const page = await stationPage(browser);
    await page.goto(station.host.launchUrl());
    await serverLogin(page, 'dr1');
    await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    // The SAMU hands a case to liberal regulation over the Hub.
    const handed = `${SAMU}.DRFR1521A26331${Date.now() % 100000}`;
    await samu.publish(message(SAMU, LIBERAL, 'Report', 'createCaseHealth', partnerCase(handed, { owner: LIBERAL, lastName: 'Lambert', firstName: 'Zoé', age: 4, commune: { name: 'Beaune', inseeCode: '21054' }, phone: '+33380000000', notes: ['Otalgie fébrile'] })));
    await expect(page.getByRole('list', { name: 'File de régulation' }).getByRole('button', { name: /LAMBERT Zoé/ })).toBeVisible({ timeout: 15_000 });

    // The SAMU calls about it: answering opens that case.
    const call = await switchboard.call({ from: '0380000015', to: 'mrl1', headers: [`X-Permanence-Hub-Case: ${handed}`] });
    await expect(page.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 10_000 });
    await page.keyboard.press('Alt+KeyD');
    await call.answered;
    await expect(page.getByRole('region', { name: 'Hub Santé' })).toContainText('Confié par le SAMU', { timeout: 10_000 });
    await expect(page.getByRole('list', { name: 'Notes cliniques' })).toContainText('Otalgie fébrile');
    await page.screenshot({ path: `${SHOTS}/physician-call-from-samu-opens-its-case.png` });

    // Sent back to the SAMU's regulator: the new call names the same Hub case.
    await page.getByLabel('Transférer vers (SAMU, collègue)').fill('samu1');
    await page.getByRole('button', { name: 'Transférer', exact: true }).click();
    await expect.poll(() => samuRegulator.answered.filter((c) => c.accepted).length, { timeout: 15_000 }).toBe(1);
    expect(samuRegulator.answered[0]!.hubCase).toBe(handed);
    expect(call.transferred()).toBe(true);
    await samuRegulator.answered[0]!.hangUp();
  } finally {
    await samuRegulator.stop();
    await switchboard.stop();
    await station.close();
    await samu.close();
    await stub.stop();
    await server.close();
    await db.close();
    await drop();
  }
});
