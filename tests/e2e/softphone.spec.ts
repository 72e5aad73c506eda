/**
 * The softphone against the project's Kamailio (scripts/services.sh: ws://127.0.0.1:8088, digest
 * auth): the ARM's workstation registers with the account the center gives at login; a patient's
 * phone (a standalone shell registered as 0612345678, as a gateway presents a caller's number)
 * calls it; the ARM answers with the keyboard, a case opens with the caller's number, audio flows
 * both ways, hold stops it and resume restores it, DTMF reaches the far end, the caller hangs up.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, SIP_WS_URL, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { WorkstationPage } from './pages/workstation.js';
import { audioPacketsReceived as received, openStation, serverLogin, SHOTS, stationPage, closeStationPages } from './site.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { startTcpCut } from '../fixtures/tcp-cut.js';
import { testLine, testTelephony } from '../fixtures/lines.js';

const services = resolve(import.meta.dirname, '../../scripts/services.sh');

/** SIGKILL to Kamailio's main process and its children (scripts/services.sh keeps its pid). */
function killKamailio(): void {
  const run = process.env.PERMANENCE_RUN_DIR ?? '/tmp/permanence-services';
  const main = Number(readFileSync(join(run, 'kamailio.pid'), 'utf8'));
  const children = execFileSync('pgrep', ['-P', String(main)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  for (const pid of [main, ...children]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

test.afterEach(closeStationPages);

const shots = SHOTS;

test('a patient calls: the ARM answers with the keyboard, audio flows, hold, DTMF, hang-up', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const arm = await openStation(server.url);
  const patient = await openStation(null, { sip: { wsUrl: SIP_WS_URL, domain: '127.0.0.1', username: '0612345678', password: 'patientpass' } });
  const wrong = await openStation(null, { sip: { wsUrl: SIP_WS_URL, domain: '127.0.0.1', username: 'arm2', password: 'not-the-password' } });
  const sup = await openStation(server.url);
  const supPage = await stationPage(browser);
  const armPage = await stationPage(browser);
  const patientPage = await stationPage(browser);
  const wrongPage = await stationPage(browser);
  try {
    // A wrong SIP password is said plainly.
    await wrongPage.goto(wrong.host.launchUrl());
    await new WorkstationPage(wrongPage).login('Poste Test', 'ARM (assistant de régulation médicale)');
    await expect(wrongPage.getByRole('alert').filter({ hasText: 'Identifiants téléphoniques refusés' })).toBeVisible({ timeout: 10_000 });

    await armPage.goto(arm.host.launchUrl());
    await serverLogin(armPage, 'arm1');
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toContainText('arm1', { timeout: 10_000 });
    // The supervisor watches the agents' states.
    await supPage.goto(sup.host.launchUrl());
    await serverLogin(supPage, 'sup1');
    const agents = supPage.getByRole('region', { name: 'Agents du centre' });
    await expect(agents.getByRole('listitem').filter({ hasText: 'ARM 1' })).toContainText('Disponible');

    await patientPage.goto(patient.host.launchUrl());
    await new WorkstationPage(patientPage).login('Téléphone du patient', 'ARM (assistant de régulation médicale)');
    await expect(patientPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    await patientPage.getByLabel('Numéro ou poste').fill('arm1');
    await patientPage.getByRole('button', { name: 'Appeler' }).click();

    // The ARM sees who calls, on which line, and answers with Alt+D.
    const incoming = armPage.getByRole('alert', { name: 'Appel entrant' });
    await expect(incoming).toContainText('06 12 34 56 78', { timeout: 10_000 });
    await expect(incoming).toContainText('116 117');
    await armPage.keyboard.press('Alt+KeyD');
    await expect(armPage.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible();
    // Answering opened a case with the caller's number and the line.
    await expect(armPage.getByLabel('Numéro de rappel')).toHaveValue('06 12 34 56 78');
    await expect(armPage.getByRole('combobox', { name: 'Ligne', exact: true })).toHaveValue('116117');
    await expect(agents.getByRole('listitem').filter({ hasText: 'ARM 1' })).toContainText('Occupé');

    // Audio both ways.
    await expect.poll(() => received(armPage), { timeout: 10_000 }).toBeGreaterThan(25);
    await expect.poll(() => received(patientPage), { timeout: 10_000 }).toBeGreaterThan(25);

    // Hold stops the audio the ARM receives; resume restores it.
    await armPage.keyboard.press('Alt+KeyK');
    await expect(armPage.getByRole('timer')).toContainText('en attente');
    await armPage.waitForTimeout(300);
    const heldAt = await received(armPage);
    await armPage.waitForTimeout(1000);
    expect((await received(armPage)) - heldAt).toBeLessThan(5);
    await armPage.keyboard.press('Alt+KeyK');
    await expect(armPage.getByRole('timer')).not.toContainText('en attente');
    const resumedAt = await received(armPage);
    await expect.poll(async () => (await received(armPage)) - resumedAt, { timeout: 5_000 }).toBeGreaterThan(25);

    // DTMF from the ARM's keypad reaches the far end.
    await armPage.getByRole('group', { name: 'Clavier de numérotation (DTMF)' }).getByRole('button', { name: '5', exact: true }).click();
    await armPage.getByRole('group', { name: 'Clavier de numérotation (DTMF)' }).getByRole('button', { name: '#', exact: true }).click();
    await expect(patientPage.getByText('Touches reçues :')).toContainText('5#');
    await armPage.screenshot({ path: `${shots}/arm-call-in-progress-light.png` });

    // The patient hangs up: the ARM's phone says the call ended, with its duration.
    await patientPage.keyboard.press('Alt+KeyH');
    await expect(armPage.getByText(/Dernier appel : 06 12 34 56 78, durée \d+:\d\d/)).toBeVisible({ timeout: 5_000 });
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible();
    // Still busy in the wrap-up; the ARM takes a meal break: the supervisor sees it with its reason.
    await expect(agents.getByRole('listitem').filter({ hasText: 'ARM 1' })).toContainText('Occupé');
    await armPage.getByLabel('Mon état').selectOption({ label: 'En pause — Repas' });
    await expect(agents.getByRole('listitem').filter({ hasText: 'ARM 1' })).toContainText('En pause (Repas)');
    await supPage.screenshot({ path: `${shots}/supervisor-agents-light.png` });
    await armPage.getByLabel('Mon état').selectOption({ label: 'Disponible' });

    // The call is in the case, with its hold; the timeline says so.
    const calls = armPage.getByRole('region', { name: 'Appels du dossier' });
    await expect(calls.getByRole('listitem')).toHaveCount(1);
    await expect(calls).toContainText('reçu de 06 12 34 56 78 (116 117)');
    await expect(calls).toContainText('1 mise en attente');
    await expect(calls).toContainText('ARM 1');
    await expect(armPage.getByRole('region', { name: 'Historique du dossier' })).toContainText('appel reçu de 06 12 34 56 78 (116 117), durée');

    // One click calls the patient back; the patient answers; the second call joins the case.
    await calls.getByRole('button', { name: 'Rappeler le 06 12 34 56 78' }).click();
    await expect(patientPage.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 10_000 });
    await patientPage.keyboard.press('Alt+KeyD');
    await expect.poll(() => received(armPage), { timeout: 10_000 }).toBeGreaterThan(10);
    await armPage.keyboard.press('Alt+KeyH');
    await expect(calls.getByRole('listitem')).toHaveCount(2);
    await expect(calls.getByRole('listitem').nth(1)).toContainText('passé vers 06 12 34 56 78');
  } finally {
    for (const s of [arm, patient, wrong, sup]) await s.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('the ARM hands a call to the physician (blind transfer); the phone comes back after Kamailio restarts', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const arm = await openStation(server.url);
  const dr = await openStation(server.url);
  const patient = await openStation(null, { sip: { wsUrl: SIP_WS_URL, domain: '127.0.0.1', username: '0612345678', password: 'patientpass' } });
  const pages = await Promise.all([arm, dr, patient].map(() => stationPage(browser)));
  const [armPage, drPage, patientPage] = pages as [Page, Page, Page];
  try {
    for (const [page, st, who] of [[armPage, arm, 'arm1'], [drPage, dr, 'dr1']] as const) {
      await page.goto(st.host.launchUrl());
      await serverLogin(page, who);
      await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    }
    await patientPage.goto(patient.host.launchUrl());
    await new WorkstationPage(patientPage).login('Téléphone du patient', 'ARM (assistant de régulation médicale)');
    await expect(patientPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    await patientPage.getByLabel('Numéro ou poste').fill('arm1');
    await patientPage.getByRole('button', { name: 'Appeler' }).click();
    await expect(armPage.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 10_000 });
    await armPage.keyboard.press('Alt+KeyD');
    await expect.poll(() => received(armPage), { timeout: 10_000 }).toBeGreaterThan(10);

    // The ARM sends the caller to the physician's extension; the physician answers.
    await armPage.getByLabel('Transférer vers (SAMU, collègue)').fill('mrl1');
    await armPage.getByRole('button', { name: 'Transférer' }).click();
    await expect(drPage.getByRole('alert', { name: 'Appel entrant' })).toContainText('06 12 34 56 78', { timeout: 10_000 });
    await drPage.keyboard.press('Alt+KeyD');
    await expect.poll(() => received(drPage), { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(() => received(patientPage), { timeout: 10_000 }).toBeGreaterThan(10);
    // The ARM's part of the call ended and is in the case, with where it went.
    const calls = armPage.getByRole('region', { name: 'Appels du dossier' });
    await expect(calls).toContainText('transféré vers mrl1', { timeout: 10_000 });
    await drPage.keyboard.press('Alt+KeyH');

    // The SIP server goes away: the phone says so, then comes back and registers by itself.
    execFileSync('bash', [services, 'stop-kamailio']);
    try {
      await expect(armPage.getByRole('alert').filter({ hasText: 'Téléphone hors service' })).toBeVisible({ timeout: 10_000 });
    } finally {
      // Started again whatever happened above: the next tests need it (start-kamailio is idempotent).
      execFileSync('bash', [services, 'start-kamailio'], { stdio: 'ignore' });
    }
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 40_000 });
    // Registered on the new Kamailio (it keeps registrations in memory only): a call reaches it.
    await expect(patientPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 40_000 });
    await patientPage.getByLabel('Numéro ou poste').fill('arm1');
    await patientPage.getByRole('button', { name: 'Appeler' }).click();
    await expect(armPage.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 10_000 });
    await armPage.keyboard.press('Alt+KeyH');
    await expect(armPage.getByRole('alert', { name: 'Appel entrant' })).toBeHidden();
  } finally {
    for (const s of [arm, dr, patient]) await s.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('an ARM on a headset: the ringtone rings, the devices can be chosen, and auto-answer takes the call by itself', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const arm = await openStation(server.url);
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  const page = await stationPage(browser);
  try {
    await page.goto(arm.host.launchUrl());
    await serverLogin(page, 'arm1');
    await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    const ringing = () => page.evaluate(() => (window as unknown as { permanencePhone: { ringing: boolean } }).permanencePhone.ringing);

    // A call rings: the ringtone plays until the ARM answers.
    const first = await trunk.call({ from: '0611111111', to: 'arm1' });
    await expect(page.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await expect.poll(ringing).toBe(true);
    await page.keyboard.press('Alt+KeyD');
    await expect.poll(ringing).toBe(false);
    await first.hangUp();
    await expect(page.getByText(/Dernier appel : 06 11 11 11 11/)).toBeVisible({ timeout: 5_000 });

    // The devices of this desk (Chromium's fake ones here), and auto-answer.
    await page.getByText('Réglages audio').click();
    const mic = page.getByLabel('Microphone');
    await expect(mic.locator('option')).not.toHaveCount(1);
    const fake = await mic.locator('option').nth(1).getAttribute('value');
    await mic.selectOption(fake!);
    await page.getByLabel('Décroché automatique après une sonnerie (casque)').check();
    await expect(page.getByText('Réglages audio — décroché automatique')).toBeVisible();
    // Kept for this desk: still there after a reload.
    await page.reload();
    await expect(page.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    await expect(page.getByText('Réglages audio — décroché automatique')).toBeVisible();

    // The next call is answered by itself after one ring, on the chosen microphone; the case opens.
    const second = await trunk.call({ from: '0622222222', to: 'arm1' });
    await expect(page.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible({ timeout: 5_000 });
    await expect(page.getByLabel('Numéro de rappel')).toHaveValue('06 22 22 22 22');
    await expect.poll(() => second.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);
    expect(await second.answered).toBeGreaterThan(900);
    await second.hangUp();
  } finally {
    await trunk.stop();
    await arm.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('two lines, then an attended transfer with a three-way conference: the caller ends up with the physician', async ({ browser }) => {
  test.setTimeout(120_000);
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const armStation = await openStation(server.url);
  const drStation = await openStation(server.url);
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  const arm = await stationPage(browser);
  const dr = await stationPage(browser);
  try {
    await arm.goto(armStation.host.launchUrl());
    await serverLogin(arm, 'arm1');
    await dr.goto(drStation.host.launchUrl());
    await serverLogin(dr, 'dr1');
    for (const p of [arm, dr]) await expect(p.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    // Line 1: a first patient; the ARM answers.
    const a = await trunk.call({ from: '0611111111', to: 'arm1' });
    await expect(arm.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await arm.keyboard.press('Alt+KeyD');
    await expect.poll(() => a.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);

    // Line 2: a second patient calls meanwhile: the call waits, shown as such, instead of a busy tone.
    const b = await trunk.call({ from: '0622222222', to: 'arm1' });
    const second = arm.getByRole('alert', { name: 'Deuxième appel' });
    await expect(second).toContainText('06 22 22 22 22', { timeout: 5_000 });
    await second.getByRole('button', { name: /Décrocher/ }).click();
    const other = arm.getByRole('group', { name: 'Autre ligne' });
    await expect(other).toContainText('06 11 11 11 11');
    await expect(other).toContainText('en attente');
    await expect.poll(() => b.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);
    await expect(arm.getByRole('region', { name: 'Téléphonie' }).getByText('Appel de')).toContainText('06 22 22 22 22');
    // Back to the first patient; the second is put on hold, then hung up.
    await other.getByRole('button', { name: 'Basculer sur cette ligne' }).click();
    await expect(other).toContainText('06 22 22 22 22');
    // The first patient's case comes back with their line.
    await expect(arm.getByLabel('Numéro de rappel')).toHaveValue('06 11 11 11 11');
    await expect(other).toContainText('en attente');
    await other.getByRole('button', { name: 'Raccrocher cette ligne' }).click();
    await b.ended;
    await expect(other).toHaveCount(0);

    // Attended transfer: the ARM calls the physician first, the patient waiting on hold.
    await arm.getByLabel('Transférer vers (SAMU, collègue)').fill('mrl1');
    await arm.getByRole('button', { name: 'Appeler d’abord' }).click();
    await expect(dr.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await dr.keyboard.press('Alt+KeyD');
    await expect(arm.getByRole('group', { name: 'Autre ligne' })).toContainText('en attente');
    await expect.poll(() => received(dr), { timeout: 10_000 }).toBeGreaterThan(20);
    // A warm handover: the three of them together; the physician hears the patient through the ARM.
    await arm.getByRole('button', { name: 'Conférence à trois' }).click();
    await expect(arm.getByRole('status').filter({ hasText: 'Conférence à trois en cours' })).toBeVisible();
    const heardBefore = a.rtp().received;
    await expect.poll(() => a.rtp().received - heardBefore, { timeout: 5_000 }).toBeGreaterThan(25);
    await arm.screenshot({ path: `${SHOTS}/arm-three-way-conference-light.png` });
    // Then the ARM steps out: the patient is put through to the physician, the ARM's phone is free.
    await arm.getByRole('button', { name: /Transférer l’appelant à/ }).click();
    await expect.poll(() => a.transferred(), { timeout: 10_000 }).toBe(true);
    await expect(arm.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible();
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toHaveCount(0, { timeout: 10_000 });
    await expect(dr.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible();
    await expect(dr.getByRole('region', { name: 'Téléphonie' }).getByText('Appel de')).toContainText('06 11 11 11 11', { timeout: 10_000 });
    const heardFromDr = a.rtp().received;
    await expect.poll(() => a.rtp().received - heardFromDr, { timeout: 10_000 }).toBeGreaterThan(25);
    await a.hangUp();
    await expect(dr.getByRole('timer', { name: 'Durée de l’appel' })).toHaveCount(0, { timeout: 10_000 });
  } finally {
    await trunk.stop();
    for (const s of [armStation, drStation]) await s.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('the workstation’s link to the SIP server drops in the middle of a call: the audio goes on, the call is taken over, the caller’s hang-up still reaches it', async ({ browser }) => {
  test.setTimeout(120_000);
  const { db, drop } = await freshDatabase('pglite');
  // The ARM's workstation reaches Kamailio through a relay the test can cut (its network).
  const link = await startTcpCut(Number(new URL(SIP_WS_URL).port));
  const viaLink = `ws://127.0.0.1:${link.port}`;
  await db.query('UPDATE tenants SET sip_ws_url = $1', [viaLink]);
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const station = await openStation(server.url, { telephonyOrigins: [viaLink] });
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  const arm = await stationPage(browser);
  try {
    await arm.goto(station.host.launchUrl());
    await serverLogin(arm, 'arm1');
    await expect(arm.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    const a = await trunk.call({ from: '0633333333', to: 'arm1' });
    await expect(arm.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 5_000 });
    await arm.keyboard.press('Alt+KeyD');
    await expect.poll(() => a.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);

    link.cut();
    await expect(arm.getByRole('alert').filter({ hasText: 'Téléphone hors service' })).toBeVisible({ timeout: 10_000 });
    // The media never went through that link: both sides still hear each other.
    const during = await received(arm);
    await expect.poll(() => received(arm), { timeout: 5_000 }).toBeGreaterThan(during + 25);
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible();

    // The phone comes back by itself and takes the call over on its new connection (a re-INVITE),
    // so that the caller's requests reach it again.
    await expect(arm.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 40_000 });
    await expect
      .poll(() => arm.evaluate(() => (window as unknown as { permanencePhone: { state: { call: { recovered?: number } | null } } }).permanencePhone.state.call?.recovered ?? 0), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await a.hangUp();
    await expect(arm.getByText(/Dernier appel : 06 33 33 33 33, durée/)).toBeVisible({ timeout: 10_000 });
  } finally {
    await trunk.stop();
    await station.close();
    await server.close();
    await link.close();
    await db.close();
    await drop();
  }
});

test('Kamailio is killed (SIGKILL) during line calls: the audio goes on, the phones register again, the hang-up of either side ends the call on the other (one made while Kamailio was down too), and each conversation is recorded whole', async ({ browser }) => {
  test.setTimeout(180_000);
  const { db, drop } = await freshDatabase('postgres');
  const store = mkdtempSync(join(tmpdir(), 'permanence-e2e-recordings-'));
  const server = await startServer({
    db,
    tokenSecret: TOKEN_SECRET,
    logLevel: 'silent',
    heartbeatMs: 1000,
    telephony: testTelephony([testLine({ ringSeconds: 10 })], { storeDir: store, key: randomBytes(32) }),
  });
  const station = await openStation(server.url);
  // The operator's trunk reaches Kamailio over a WebSocket here: it registers, as such a trunk must.
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL, '127.0.0.1', { register: true });
  const arm = await stationPage(browser);
  const talked: number[] = [];
  /**
   * Kamailio dies with its children (kill -9, as a crash or the OOM killer would), `whileDown` is
   * done, then it is started again and both phones register again.
   */
  const crashKamailio = async (whileDown: () => Promise<void> = async () => {}) => {
    const killedAt = Date.now();
    killKamailio();
    await expect(arm.getByRole('alert').filter({ hasText: 'Téléphone hors service' })).toBeVisible({ timeout: 10_000 });
    await whileDown();
    execFileSync('bash', [services, 'start-kamailio'], { stdio: 'ignore' });
    await expect(arm.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 40_000 });
    await trunk.registeredAgain(killedAt);
  };
  /** A patient calls the 116117, the ARM answers; both hear each other. */
  const lineCall = async (from: string) => {
    await arm.getByLabel('Mon état').selectOption({ label: 'Disponible' });
    const call = await trunk.call({ from, to: '116117' });
    await expect(arm.getByRole('alert', { name: 'Appel entrant' })).toBeVisible({ timeout: 10_000 });
    await arm.keyboard.press('Alt+KeyD');
    await call.answered;
    await expect.poll(() => call.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);
    return { call, answeredAt: Date.now() };
  };
  const stillTalking = async (call: { rtp(): { received: number } }) => {
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible();
    const armHeard = await received(arm);
    const callerHeard = call.rtp().received;
    await expect.poll(() => received(arm), { timeout: 5_000 }).toBeGreaterThan(armHeard + 25);
    await expect.poll(() => call.rtp().received, { timeout: 5_000 }).toBeGreaterThan(callerHeard + 25);
  };
  try {
    await arm.goto(station.host.launchUrl());
    await serverLogin(arm, 'arm1');
    await expect(arm.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    // The caller hangs up after the crash: the ARM's call ends (the BYE finds the ARM's phone
    // through its GRUU, on its new connection).
    const first = await lineCall('0644444444');
    await crashKamailio();
    await stillTalking(first.call);
    await first.call.hangUp();
    talked.push(Date.now() - first.answeredAt);
    await expect(arm.getByText(/Dernier appel : 06 44 44 44 44, durée/)).toBeVisible({ timeout: 10_000 });
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toHaveCount(0);

    // The ARM hangs up after the crash: the caller's call ends.
    const second = await lineCall('0655555555');
    await crashKamailio();
    await stillTalking(second.call);
    await arm.keyboard.press('Alt+KeyH');
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toHaveCount(0, { timeout: 10_000 });
    await Promise.race([second.call.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the caller’s call did not end')), 10_000))]);
    talked.push(Date.now() - second.answeredAt);

    // The caller hangs up while Kamailio is down: the hang-up reaches nobody. Back, the ARM's phone
    // takes its call over on its new connection, hears that the call no longer exists (481), and ends it.
    const third = await lineCall('0666666666');
    await crashKamailio(() => third.call.hangUp().catch(() => {}));
    await expect(arm.getByText(/Dernier appel : 06 66 66 66 66, durée/)).toBeVisible({ timeout: 30_000 });
    await expect(arm.getByRole('timer', { name: 'Durée de l’appel' })).toHaveCount(0);

    // The conversations are on the books as ended, the first two recorded as long as they lasted
    // (both parties were deleted from rtpengine together, whoever hung up).
    await expect
      .poll(async () => (await db.query<{ state: string; recording: string }>('SELECT state, recording FROM line_calls ORDER BY arrived_at')).rows, { timeout: 30_000 })
      .toEqual([
        { state: 'ended', recording: 'stored' },
        { state: 'ended', recording: 'stored' },
        { state: 'ended', recording: 'stored' },
      ]);
    const { rows } = await db.query<{ duration_ms: string }>('SELECT r.duration_ms FROM recordings r JOIN line_calls l ON l.call_id = r.call_id ORDER BY l.arrived_at LIMIT 2');
    rows.forEach((r, i) => expect(Math.abs(Number(r.duration_ms) - talked[i]!), `recording ${i + 1}: ${r.duration_ms} ms for ${talked[i]} ms of conversation`).toBeLessThan(1_500));
  } finally {
    // Whatever happened above, the next tests need Kamailio (start-kamailio is idempotent).
    execFileSync('bash', [services, 'start-kamailio'], { stdio: 'ignore' });
    await trunk.stop();
    await station.close();
    await server.close();
    await db.close();
    await drop();
    rmSync(store, { recursive: true, force: true });
  }
});

test('a SIP server never reached since the start: "Téléphonie non démarrée", calm and in French, no red alert nor "code 1006"', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  // Nothing listens there: the center's telephony is not running (a demo without Kamailio).
  const nowhere = 'ws://127.0.0.1:9';
  await db.query('UPDATE tenants SET sip_ws_url = $1', [nowhere]);
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const station = await openStation(server.url, { telephonyOrigins: [nowhere] });
  const arm = await stationPage(browser);
  try {
    await arm.goto(station.host.launchUrl());
    await serverLogin(arm, 'arm1');
    const line = arm.locator('.phone-state');
    await expect(line).toContainText('Téléphonie non démarrée', { timeout: 15_000 });
    await expect(line).toContainText('Serveur téléphonique injoignable (127.0.0.1:9).');
    await expect(line).toHaveAttribute('role', 'status');
    await expect(arm.getByRole('alert').filter({ hasText: 'hors service' })).toHaveCount(0);
    await expect(arm.locator('body')).not.toContainText(/code: 1006|WebSocket closed/);
    // The rest of the workstation works: a case opens with Alt+N.
    await new WorkstationPage(arm).openNewCase();
  } finally {
    await station.close();
    await server.close();
    await db.close();
    await drop();
  }
});
