/**
 * The supervisor's wall screen on a TV (1920×1080, `?vue=mur`), while scripted patients call
 * through the project's Kamailio (plain RTP bridged by rtpengine) and ARMs answer in Chromium:
 * the waiting count follows within a second, answered and abandoned calls show, and stopping the
 * central server puts up the stale banner.
 */
import { execFileSync } from 'node:child_process';
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { periodOfDays } from '../../src-shared/domain/statistics.js';
import { v7 as uuidv7 } from 'uuid';
import { test, expect, type Page } from '@playwright/test';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { freshDatabase, rawLogin, SIP_WS_URL, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { audioPacketsReceived, closeStationPages, openStation, serverLogin, SHOTS, stationPage, type Station } from './site.js';

test.afterEach(closeStationPages);

test.use({ viewport: { width: 1920, height: 1080 } });

/** Calls of earlier today and of the same weekday last week, as phones would have reported them. */
async function seedHistory(url: string): Promise<{ day: string; received: number; abandoned: number }> {
  const token = await rawLogin(url, 'arm3');
  const now = Date.now();
  // The center's day (Paris time), whatever the test machine's zone and the time of day.
  const day = format(new TZDate(now, 'Europe/Paris'), 'yyyy-MM-dd');
  const midnight = periodOfDays('21', day, day).from;
  let received = 0;
  let abandoned = 0;
  const DAY = 24 * 3_600_000;
  const reports = [];
  for (let i = 0; i < 60; i++) {
    // Last week: spread over the 6 hours before this time of day, a week ago; today: the last 3 hours.
    for (const [base, span, n] of [[now - 7 * DAY, 6, i], [now, 3, i % 2 === 0 ? i : -1]] as const) {
      if (n < 0) continue;
      const arrivedAt = base - Math.round(((n * 7919) % 1000) / 1000 * span * 3_600_000) - 60_000;
      const answered = n % 9 !== 0;
      const answeredAt = answered ? arrivedAt + 1000 * (5 + ((n * 13) % 50)) : null;
      if (arrivedAt >= midnight) {
        received += 1;
        if (!answered) abandoned += 1;
      }
      const callId = `seed-${base}-${n}`;
      const common = { callId, direction: 'in', line: '116117', remote: `06000000${String(n).padStart(2, '0')}`, arrivedAt, answeredAt, caseId: undefined };
      reports.push({ ...common, id: uuidv7(), state: 'ringing', answeredAt: null, endedAt: null, endReason: null });
      reports.push({ ...common, id: uuidv7(), state: 'ended', endedAt: (answeredAt ?? arrivedAt) + 90_000, endReason: 'caller_hung_up' });
    }
  }
  const res = await fetch(`${url}/api/calls`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ reports }) });
  expect(res.status).toBe(200);
  return { day, received, abandoned };
}

async function armReady(page: Page, station: Station, login: string) {
  await page.goto(station.host.launchUrl());
  await serverLogin(page, login);
  await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toContainText(login, { timeout: 10_000 });
}

test('the wall screen follows scripted callers and ARMs live, and says when its data is stale', async ({ browser }) => {
  test.setTimeout(120_000);
  const { db, drop } = await freshDatabase('pglite');
  let server: RegulationServer | null = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const arm1 = await openStation(server.url);
  const arm2 = await openStation(server.url);
  const wall = await openStation(server.url);
  const callers = await ScriptedPhone.trunk(SIP_WS_URL);
  try {
    await seedHistory(server.url);
    // Two cases wait for regulation (a P2 and a P3), as the ARMs sent them earlier.
    for (const [priority, name] of [['P2', 'Durand'], ['P3', 'Petit']] as const) {
      const r = await wall.core.registry.call('session.login', { login: 'arm3', password: 'arm3-password' });
      expect(r.ok).toBe(true);
      const c = await wall.core.registry.call('case.open', {
        line: '116117',
        fields: { callbackPhone: '0611223344', patient: { lastName: name, ageYears: 40 }, location: { inseeCode: '21231' }, reasonCode: 'FEVER', priority },
      });
      if (!c.ok) throw new Error(c.error.message);
      const sent = await wall.core.registry.call('case.command', { caseId: (c.value as { id: string }).id, command: { type: 'send_to_regulation' } });
      expect(sent.ok).toBe(true);
      await wall.core.registry.call('session.logout', {});
    }

    const page1 = await stationPage(browser);
    const page2 = await stationPage(browser);
    const tv = await stationPage(browser, { viewport: { width: 1920, height: 1080 } });
    await armReady(page1, arm1, 'arm1');
    await armReady(page2, arm2, 'arm2');
    // The TV: opened once on the wall address, logged in once as the supervisor; nothing to click after.
    await tv.goto(wall.host.launchUrl('/?vue=mur'));
    await serverLogin(tv, 'sup1');
    const waiting = tv.getByTestId('wall-waiting');
    await expect(waiting).toHaveText('0');
    await expect(tv.getByRole('region', { name: 'Dossiers en attente de régulation' })).toContainText('P2');
    await expect(tv.getByRole('region', { name: 'Agents' })).toContainText('ARM 1');
    await expect(tv.getByRole('status', { name: 'Données à' })).toContainText(/\d\d:\d\d:\d\d/);

    // A patient calls the ARM on duty: on the wall within a second.
    const a = await callers.call({ from: '0612345678', to: 'arm1' });
    await expect(page1.getByRole('alert', { name: 'Appel entrant' })).toContainText('06 12 34 56 78', { timeout: 5_000 });
    await expect(waiting).toHaveText('1', { timeout: 1_000 });
    const b = await callers.call({ from: '0698765432', to: 'arm2' });
    await expect(page2.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await expect(waiting).toHaveText('2', { timeout: 1_000 });
    await expect(tv.getByRole('region', { name: 'Appels en attente' })).toContainText(/plus longue : 0:0\d/);

    // ARM 1 answers: one waiting, one in progress; the patient hears the ARM and the ARM the patient.
    await page1.keyboard.press('Alt+KeyD');
    await expect(waiting).toHaveText('1', { timeout: 1_000 });
    await expect(tv.getByTestId('wall-in-progress')).toHaveText('1', { timeout: 1_000 });
    await expect.poll(() => a.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);
    await expect
      .poll(() => audioPacketsReceived(page1), { timeout: 10_000 })
      .toBeGreaterThan(20);
    await expect(tv.getByRole('region', { name: 'Agents' })).toContainText('Occupé');
    await tv.screenshot({ path: `${SHOTS}/wall-screen-1920x1080.png` });

    // The second patient gives up while it rings: an abandoned call.
    const abandonedBefore = Number(await tv.getByTestId('wall-abandoned').textContent());
    await b.hangUp();
    await expect(waiting).toHaveText('0', { timeout: 1_000 });
    await expect(tv.getByTestId('wall-abandoned')).toHaveText(String(abandonedBefore + 1), { timeout: 6_000 });
    await a.hangUp();
    await expect(tv.getByTestId('wall-in-progress')).toHaveText('0', { timeout: 2_000 });

    // The central server stops: the wall says its figures are frozen, and since when.
    await server.close();
    server = null;
    await expect(tv.getByRole('alert').filter({ hasText: 'Données figées' })).toContainText('serveur central injoignable', { timeout: 10_000 });
    await tv.screenshot({ path: `${SHOTS}/wall-screen-stale.png` });
  } finally {
    await callers.stop();
    for (const s of [arm1, arm2, wall]) await s.close();
    await server?.close();
    await db.close();
    await drop();
  }
});

test('a supervisor reads the month’s statistics with their definitions and downloads the ARS report', async ({ browser }) => {
  test.setTimeout(90_000);
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const sup = await openStation(server.url);
  try {
    const seeded = await seedHistory(server.url);
    const page = await stationPage(browser, { acceptDownloads: true, viewport: { width: 1600, height: 1000 } });
    await page.goto(sup.host.launchUrl());
    await serverLogin(page, 'sup1');
    await page.getByRole('button', { name: 'Statistiques' }).click();
    const calls = page.getByRole('table', { name: 'Appels' });
    // Today's 30 seeded calls are in this month's figures (the week-old ones may be too).
    await expect(calls.getByRole('row', { name: /^Reçus/ })).toContainText(/\d+/);
    await expect(page.getByRole('group').filter({ hasText: 'Définitions' })).toContainText('Appel abandonné');
    await expect(page.getByText('Un appel abandonné à 59 s compte dans les appels reçus')).toBeVisible();
    // The center's today alone: the seeded calls of today, every ninth one abandoned.
    await page.getByLabel('Du', { exact: true }).fill(seeded.day.split('-').toReversed().join('/'));
    await page.getByLabel('au', { exact: true }).fill(seeded.day.split('-').toReversed().join('/'));
    await page.getByRole('button', { name: 'Calculer' }).click();
    await expect(calls.getByRole('row', { name: /^Reçus/ }).getByRole('cell').first()).toHaveText(String(seeded.received));
    await expect(calls.getByRole('row', { name: /^Abandonnés/ }).getByRole('cell').first()).toHaveText(String(seeded.abandoned));
    await page.screenshot({ path: `${SHOTS}/statistics-light.png` });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Rapport d’activité ARS (PDF)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^activite-cote-dor-\d{4}-\d\d\.pdf$/);
    const pdf = `${SHOTS}/sample-activity-report.pdf`;
    await download.saveAs(pdf);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text).toContain("Rapport d'activité de régulation");
    expect(text).toMatch(/Appels reçus\s+\d+/);
    // The first page as an image, for the documentation (and a look by a human).
    execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf, `${SHOTS}/sample-activity-report`]);
  } finally {
    await sup.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('the wall screen says the central server’s side in one word, and why when it is not normal', async ({ browser }) => {
  // A center whose database should have a synchronous standby, on a PostgreSQL that has none.
  const { db, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000, expectStandby: true });
  const wall = await openStation(server.url);
  try {
    const tv = await stationPage(browser, { viewport: { width: 1920, height: 1080 } });
    await tv.goto(wall.host.launchUrl('/?vue=mur'));
    await serverLogin(tv, 'sup1');
    await expect(tv.getByTestId('wall-server-state')).toHaveText('Serveur central : mode dégradé', { timeout: 10_000 });
    await expect(tv.getByTestId('wall-server-alert')).toContainText('Base de données sans secours synchrone');
    await tv.screenshot({ path: `${SHOTS}/wall-server-degraded-dark.png` });
  } finally {
    await wall.close();
    await server.close();
    await db.close();
    await drop();
  }
});
