/**
 * The 116117 line as an ARM and a supervisor see it, in Chromium: patients call the center's
 * number (scripted callers through the operator's trunk), the call distributor parks them in the
 * project's Kamailio and hands them to the ARM free the longest; a caller who hangs up while
 * waiting is on the callback list and on the wall screen; the ARM calls back in one click, the
 * patient's phone answers, a case opens with the number, the entry leaves the list.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { call as callCore, freshDatabase, openWorkstation, SIP_WS_URL, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { testLine, testTelephony } from '../fixtures/lines.js';
import type { LineSettings } from '../../src-shared/domain/line-queue.js';
import { audioPacketsReceived, closeStationPages, openStation, serverLogin, SHOTS, stationPage } from './site.js';

test.afterEach(closeStationPages);

/** A center with these lines (its recordings in a folder of its own) and the operator's trunk. */
async function lineCenter(lines: LineSettings[]) {
  const store = mkdtempSync(join(tmpdir(), 'permanence-e2e-recordings-'));
  const { db, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000, telephony: testTelephony(lines, { storeDir: store, key: randomBytes(32) }) });
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  return {
    db,
    server,
    trunk,
    async close() {
      await trunk.stop();
      await server.close();
      await db.close();
      await drop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}

test('a caller who hung up while waiting is called back in one click; the wall screen counts the queue and the list', async ({ browser }) => {
  test.setTimeout(90_000);
  const center = await lineCenter([testLine({ callbackCallerId: '0380000000', ringSeconds: 5 })]);
  const { db, server, trunk } = center;
  // The patient's own mobile: it rings when the ARM calls back, and answers.
  const mobile = await ScriptedPhone.registered(SIP_WS_URL, '0612345678', 'patientpass');
  const arm = await openStation(server.url);
  const wall = await openStation(server.url);
  const armPage = await stationPage(browser);
  const tv = await stationPage(browser, { viewport: { width: 1920, height: 1080 } });
  try {
    await armPage.goto(arm.host.launchUrl());
    await serverLogin(armPage, 'arm1');
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    await expect(armPage.getByRole('status', { name: 'Appels en attente sur les lignes' })).toContainText('aucun appel en attente');
    // On a break: nobody takes the line's calls.
    await armPage.getByLabel('Mon état').selectOption({ label: 'En pause — Repas' });
    await tv.goto(wall.host.launchUrl('/?vue=mur'));
    await serverLogin(tv, 'sup1');
    await expect(tv.getByTestId('wall-waiting')).toHaveText('0');
    // The server knows the ARM is on a break before the call comes (else it would ring at the desk).
    await expect(tv.getByRole('region', { name: 'Agents' })).toContainText('ARM 1 (Repas)');

    // A patient calls the 116117 and waits: the queue is on the ARM's screen and on the wall.
    const call = await trunk.call({ from: '0612345678', to: '116117' });
    await expect(tv.getByTestId('wall-waiting')).toHaveText('1', { timeout: 5_000 });
    await expect(armPage.getByRole('status', { name: 'Appels en attente sur les lignes' })).toContainText('1 en attente');
    await armPage.waitForTimeout(1_500);
    await expect(tv.getByTestId('wall-longest-wait')).toContainText(/plus longue : 0:0[1-9]/);
    // …and gives up.
    await call.hangUp();
    await expect(tv.getByTestId('wall-waiting')).toHaveText('0', { timeout: 5_000 });
    await expect(tv.getByTestId('wall-callbacks')).toHaveText('1');
    await expect(tv.getByTestId('wall-abandoned')).toHaveText('1');
    await expect(tv.getByRole('region', { name: 'Appels abandonnés aujourd’hui' })).toContainText('sur 1 appels reçus');
    const list = armPage.getByRole('region', { name: 'À rappeler' });
    const entry = list.getByRole('listitem').filter({ hasText: '06 12 34 56 78' });
    await expect(entry).toContainText('116117');
    await expect(entry).toContainText(/attente 0:0\d/);
    await armPage.screenshot({ path: `${SHOTS}/arm-callback-list-light.png` });
    await tv.screenshot({ path: `${SHOTS}/wall-line-queue-dark.png` });

    // The ARM calls back in one click: the patient's mobile answers, a case opens with the number.
    await armPage.getByLabel('Mon état').selectOption({ label: 'Disponible' });
    await entry.getByRole('button', { name: 'Rappeler le 06 12 34 56 78' }).click();
    await expect(armPage.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible({ timeout: 10_000 });
    await expect(armPage.getByLabel('Numéro de rappel')).toHaveValue('06 12 34 56 78', { timeout: 10_000 });
    expect(mobile.answered.filter((c) => c.accepted)).toHaveLength(1);
    // Taken: no longer to do for anyone (the wall says so), and marked as being called back here.
    await expect(entry).toContainText('Vous rappelez ce numéro');
    await expect(entry.getByRole('button')).toHaveCount(0);
    await expect(tv.getByTestId('wall-callbacks')).toHaveText('0');
    await armPage.screenshot({ path: `${SHOTS}/arm-callback-in-progress-light.png` });
    // The patient was reached: once the call is over, the entry leaves the list.
    await armPage.getByRole('button', { name: 'Raccrocher' }).first().click();
    await expect(list.getByRole('listitem')).toHaveCount(0);
    // The callback was a conversation with a patient too (rtpengine bridges the browser and the
    // patient's phone): recorded, with the patient's side, under its call (hence the case).
    await expect
      .poll(async () => (await db.query('SELECT caller, agent, recording FROM recorded_calls')).rows, { timeout: 20_000 })
      .toEqual([{ caller: '0612345678', agent: 'arm1', recording: 'stored' }]);
    expect((await db.query("SELECT r.line FROM recordings r JOIN recorded_calls c ON c.call_id = r.call_id")).rows).toEqual([{ line: '' }]);

    // The next caller rings at the ARM, free again, who lets it ring out: "Absent", with the reason,
    // on their screen and on the wall; the caller waits in the queue meanwhile.
    await armPage.getByLabel('Mon état').selectOption({ label: 'Disponible' });
    const next = await trunk.call({ from: '0698765432', to: '116117' });
    const incoming = armPage.getByRole('alert', { name: 'Appel entrant' });
    await expect(incoming).toContainText('06 98 76 54 32', { timeout: 10_000 });
    await expect(armPage.getByRole('alert').filter({ hasText: 'n’a pas été décroché' })).toBeVisible({ timeout: 10_000 });
    await expect(armPage.getByLabel('Mon état')).toHaveValue('pause:unanswered');
    await expect(tv.getByRole('region', { name: 'Agents' })).toContainText('Absent : appel présenté non décroché');
    await expect(tv.getByTestId('wall-waiting')).toHaveText('1');
    await armPage.screenshot({ path: `${SHOTS}/arm-absent-after-unanswered-offer-light.png` });
    // Back: the waiting call rings again, and the ARM answers.
    await armPage.getByLabel('Mon état').selectOption({ label: 'Disponible' });
    await expect(incoming).toContainText('06 98 76 54 32', { timeout: 10_000 });
    await armPage.keyboard.press('Alt+KeyD');
    await next.answered;
    await expect(armPage.getByLabel('Numéro de rappel')).toHaveValue('06 98 76 54 32', { timeout: 10_000 });
    await armPage.waitForTimeout(3_000);
    await next.hangUp();

    // The conversation was recorded: the case lists it, the ARM listens, the server keeps who did.
    // (Its length is counted from the media that flowed: a loaded machine may start it a second late.)
    const recordings = armPage.getByRole('region', { name: 'Enregistrements des appels' });
    await expect(recordings).toContainText(/Appel du .* — 0:0[2-4]/, { timeout: 15_000 });
    await recordings.getByRole('button', { name: 'Écouter' }).click();
    const player = recordings.locator('audio');
    await expect(player).toBeVisible();
    await expect.poll(() => player.evaluate((a: HTMLAudioElement) => a.duration), { timeout: 10_000 }).toBeGreaterThan(1.5);
    await armPage.screenshot({ path: `${SHOTS}/arm-case-recording-light.png` });
    const audit = await db.query<{ user_id: string; case_id: string | null }>("SELECT user_id, case_id FROM access_audit WHERE action = 'recording.play'");
    expect(audit.rows).toEqual([{ user_id: `${TENANT}:arm1`, case_id: expect.any(String) }]);
  } finally {
    await mobile.stop();
    await arm.close();
    await wall.close();
    await center.close();
  }
});

test('a ring-all line shared by an ARM in the browser and an ARM on a desk phone: both ring, and whoever picks up talks with the caller both ways', async ({ browser }) => {
  test.setTimeout(90_000);
  const center = await lineCenter([testLine({ distribution: 'ring-all', ringSeconds: 15 })]);
  const { db, server, trunk } = center;
  // ARM 2 works on a desk phone (plain RTP, registered under ARM 2's SIP account), its
  // workstation beside it.
  const desk = await ScriptedPhone.registered(SIP_WS_URL, 'arm2', 'arm2pass', '127.0.0.1', 1_500);
  desk.toneHz = 1_000;
  const deskStation = await openWorkstation(server.url, { login: 'arm2' });
  const arm = await openStation(server.url);
  const armPage = await stationPage(browser);
  const state = armPage.getByLabel('Mon état');
  const incoming = armPage.getByRole('alert', { name: 'Appel entrant' });
  try {
    await armPage.goto(arm.host.launchUrl());
    await serverLogin(armPage, 'arm1');
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    // The browser's ARM free the longest: the phones are listed browser first, desk phone second.
    await state.selectOption({ label: 'En pause — Repas' });
    await state.selectOption({ label: 'Disponible' });
    await armPage.waitForTimeout(200);
    await callCore(deskStation.core, 'agent.setState', { state: 'available', reason: null });

    // A patient calls: both ring for the same call; the desk phone picks up, and it and the caller
    // hear each other (plain RTP both sides, while the browser's offer was WebRTC). The browser
    // stops ringing; nobody goes absent.
    const first = await trunk.call({ from: '0611111111', to: '116117' });
    await expect(incoming).toContainText('06 11 11 11 11', { timeout: 10_000 });
    await first.answered;
    await expect(incoming).toHaveCount(0, { timeout: 5_000 });
    const deskCall = desk.answered.at(-1)!;
    expect(deskCall.accepted).toBe(true);
    await expect.poll(() => first.rtp().received, { timeout: 10_000 }).toBeGreaterThan(50);
    await expect.poll(() => deskCall.media.received, { timeout: 10_000 }).toBeGreaterThan(50);
    await expect(state).toHaveValue('available');
    await first.hangUp();

    // Now the desk phone's ARM is free the longest (listed first). The next caller rings both; the
    // ARM in the browser picks up, and the browser and the caller hear each other (WebRTC one
    // side, plain RTP the other, through rtpengine, while the desk phone's offer was plain RTP).
    // (A desk phone says nothing to the workstation: its ARM says when they are free again.)
    await callCore(deskStation.core, 'agent.setState', { state: 'busy', reason: null });
    await callCore(deskStation.core, 'agent.setState', { state: 'available', reason: null });
    await armPage.waitForTimeout(200);
    await state.selectOption({ label: 'En pause — Repas' });
    await state.selectOption({ label: 'Disponible' });
    desk.answerAfterMs = 60_000;
    const second = await trunk.call({ from: '0622222222', to: '116117' });
    await expect(incoming).toContainText('06 22 22 22 22', { timeout: 10_000 });
    await expect.poll(() => desk.offered, { timeout: 5_000 }).toBe(2);
    await armPage.keyboard.press('Alt+KeyD');
    await second.answered;
    await expect.poll(() => audioPacketsReceived(armPage), { timeout: 10_000 }).toBeGreaterThan(50);
    await expect.poll(() => second.rtp().received, { timeout: 10_000 }).toBeGreaterThan(50);
    await desk.answered.at(-1)!.ended;
    expect(desk.answered.at(-1)!.accepted).toBe(false);
    await second.hangUp();

    // Both conversations are on the books with who took them, and recorded.
    await expect
      .poll(async () => (await db.query('SELECT caller, answered_by, recording FROM line_calls ORDER BY caller')).rows, { timeout: 20_000 })
      .toEqual([
        { caller: '0611111111', answered_by: 'arm2', recording: 'stored' },
        { caller: '0622222222', answered_by: 'arm1', recording: 'stored' },
      ]);
  } finally {
    await desk.stop();
    await deskStation.close();
    await arm.close();
    await center.close();
  }
});
