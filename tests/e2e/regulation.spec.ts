/**
 * The regulation workflow against one central server and the project's Kamailio: a scripted
 * patient (sip.js in Node, plain RTP through rtpengine) calls; the ARM answers and screens with the
 * keyboard only and sends it; the physician sees it, takes it, calls the patient back, writes a
 * note, decides a consultation with the fields it needs and closes; the supervisor's timeline
 * shows every step. Then the same patient calls again: the ARM sees the previous case, its
 * outcome, and a raised priority suggestion. And a form half filled survives the workstation
 * going down.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { startWebHost } from '../../src-main/web-host/web-host.js';
import { freshDatabase, SIP_WS_URL, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone } from '../fixtures/patient-caller.js';
import { tempDir } from '../fixtures/tmp.js';
import { WorkstationPage } from './pages/workstation.js';
import { closeStationPages, openStation, serverLogin, SHOTS, STATIC, stationPage } from './site.js';

test.afterEach(closeStationPages);

const shots = SHOTS;

async function login(page: Page, who: string) {
  await serverLogin(page, who);
  await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
}

/** Screening with the keyboard only, up to Alt+E; the number is already there when the case came from a call. */
async function screenByKeyboard(page: Page, arm: WorkstationPage, fromCall = false) {
  const k = page.keyboard;
  if (!fromCall) {
    await arm.openNewCase();
    await k.type('06 12 34 56 78');
  }
  await k.press('Tab'); // caller
  await k.press('Tab'); // last name
  await k.type('Dupont');
  await k.press('Tab');
  await k.type('Jeanne');
  await k.press('Tab');
  await k.type('02/03/1950');
  await k.press('Tab'); // sex
  await page.keyboard.press('F'); // "Femme" by its first letter
  await k.press('Tab'); // commune
  await k.type('dijo');
  await expect(page.getByRole('option', { name: /Dijon/ }).first()).toBeVisible();
  await k.press('Enter');
  await k.press('Tab'); // address
  await k.type('12 rue des Forges');
  await k.press('Tab'); // reason
  await k.press('ArrowDown'); // "Fièvre", first of the list
  await k.press('Tab');
  await k.type('Fièvre à 39,5 depuis hier');
}

test('ARM to physician to decision, with the timeline, then the same patient calls again', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  const server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const stations = [await openStation(server.url), await openStation(server.url), await openStation(server.url)];
  const armPage = await stationPage(browser);
  const drPage = await stationPage(browser);
  const supPage = await stationPage(browser);
  const patient = await ScriptedPhone.registered(SIP_WS_URL, '0612345678', 'patientpass');
  try {
    await armPage.goto(stations[0]!.host.launchUrl());
    await drPage.goto(stations[1]!.host.launchUrl());
    await supPage.goto(stations[2]!.host.launchUrl());
    await login(armPage, 'arm1');
    await login(drPage, 'dr1');
    await login(supPage, 'sup1');
    const arm = new WorkstationPage(armPage);
    await expect(armPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });
    await expect(drPage.getByRole('status').filter({ hasText: 'Téléphone prêt' })).toBeVisible({ timeout: 10_000 });

    // The patient calls 116117; the ARM answers with Alt+D: a case opens with the number.
    const first = await patient.call({ to: 'arm1' });
    await expect(armPage.getByRole('alert', { name: 'Appel entrant' })).toContainText('06 12 34 56 78', { timeout: 5_000 });
    await armPage.keyboard.press('Alt+KeyD');
    await expect(armPage.getByLabel('Numéro de rappel')).toHaveValue('06 12 34 56 78');
    await expect(armPage.getByLabel('Numéro de rappel')).toBeFocused();
    await expect.poll(() => first.rtp().received, { timeout: 10_000 }).toBeGreaterThan(20);

    await screenByKeyboard(armPage, arm, true);
    // The reason's usual priority is suggested; the ARM picks P3 with the arrow keys.
    await expect(armPage.locator('.suggestion')).toContainText('Priorité suggérée : P3');
    await armPage.keyboard.press('Tab');
    await expect(armPage.getByLabel(/P0 — départ réflexe/)).toBeFocused();
    for (let i = 0; i < 3; i++) await armPage.keyboard.press('ArrowDown');
    await expect(armPage.getByLabel(/P3 — non urgent/)).toBeChecked();
    await armPage.keyboard.press('Alt+KeyE');
    await expect(armPage.locator('.case-header .status')).toHaveText('En attente de régulation');
    await first.hangUp();
    await expect(armPage.getByRole('region', { name: 'Appels du dossier' })).toContainText('reçu de 06 12 34 56 78');
    await armPage.screenshot({ path: `${shots}/arm-form-light.png` });
    await armPage.keyboard.press('Alt+KeyT');
    await armPage.screenshot({ path: `${shots}/arm-form-dark.png` });
    await armPage.keyboard.press('Alt+KeyT');

    // The physician: queue → take → note → decision → close.
    const queue = drPage.getByRole('list', { name: 'File de régulation' });
    await expect(queue.getByText('DUPONT Jeanne')).toBeVisible({ timeout: 1_000 });
    // The supervisor watches the same queue without identities: withheld, not missing.
    const supQueue = supPage.getByRole('list', { name: 'File de régulation' });
    await expect(supQueue.getByText('Identité masquée')).toBeVisible({ timeout: 2_000 });
    await expect(supQueue).toContainText('Dijon');
    await expect(supQueue).not.toContainText('DUPONT');
    await expect(supQueue).not.toContainText('06 12 34 56 78');
    await supPage.screenshot({ path: `${shots}/supervisor-queue-without-identities.png` });
    await queue.getByRole('button', { name: /DUPONT Jeanne/ }).click();
    await expect(drPage.getByRole('button', { name: /Prendre en charge/ })).toBeVisible();
    await drPage.keyboard.press('Alt+KeyP');
    await expect(drPage.locator('.taken-by')).toHaveText('Régulé par DR 1');
    await expect(drPage.getByRole('region', { name: 'Dossiers antérieurs (même numéro ou même patient)' })).toContainText('Aucun dossier antérieur');
    // One click calls the patient back; the patient's phone answers; audio flows; the physician hangs up.
    const drCalls = drPage.getByRole('region', { name: 'Appels du dossier' });
    await drCalls.getByRole('button', { name: 'Rappeler le 06 12 34 56 78' }).click();
    await expect(drPage.getByRole('timer', { name: 'Durée de l’appel' })).toBeVisible({ timeout: 10_000 });
    await expect.poll(() => patient.answered.at(-1)?.media.received ?? 0, { timeout: 10_000 }).toBeGreaterThan(20);
    await drPage.keyboard.press('Alt+KeyH');
    await expect(drCalls.getByRole('listitem')).toHaveCount(2);
    await expect(drCalls.getByRole('listitem').nth(1)).toContainText('passé vers 06 12 34 56 78');
    await drPage.getByLabel('Note clinique').fill('Fièvre bien tolérée, pas de signe de gravité. Examen souhaitable ce soir.');
    await drPage.getByRole('button', { name: 'Ajouter la note' }).click();
    await expect(drPage.getByRole('list', { name: 'Notes cliniques' })).toContainText('pas de signe de gravité');
    await drPage.getByLabel('Décision').selectOption({ label: 'Consultation (médecin de garde / MMG)' });
    // A decision without the fields it needs is refused, with what is missing.
    await drPage.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect(drPage.getByRole('alert').filter({ hasText: 'Médecin effecteur' })).toBeVisible();
    await drPage.getByLabel('Médecin effecteur').fill('Dr Lambert — MMG de Dijon');
    const at = new Date(Date.now() + 90 * 60_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    // Day first, 24 h, as a French regulator types it; the date is written out beside the field.
    const typed = `${p2(at.getDate())}/${p2(at.getMonth() + 1)}/${at.getFullYear()} ${p2(at.getHours())}:${p2(at.getMinutes())}`;
    await drPage.getByLabel('Heure du rendez-vous').fill(typed);
    await expect(drPage.locator('.decision-form .written-date')).toHaveText(new RegExp(`^(lun|mar|mer|jeu|ven|sam|dim)\\. ${at.getDate()} .+ ${at.getFullYear()}, ${p2(at.getHours())}:${p2(at.getMinutes())}$`));
    await drPage.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect(drPage.locator('.decision-made')).toContainText('Consultation (médecin de garde / MMG)');
    await expect(drPage.locator('.decision-made')).toContainText('Dr Lambert');
    await drPage.screenshot({ path: `${shots}/physician-form-light.png` });
    await drPage.keyboard.press('Alt+KeyT');
    await drPage.screenshot({ path: `${shots}/physician-form-dark.png` });
    await drPage.keyboard.press('Alt+KeyT');
    await drPage.getByRole('button', { name: 'Clôturer le dossier' }).click();
    await expect(drPage.locator('.case-header .status')).toHaveText('Clôturé');

    // The supervisor finds the case and reads its timeline: every step, who, from which workstation.
    await supPage.getByPlaceholder('Rechercher : nom ou téléphone (Alt+R)').fill('Dupont');
    await supPage.getByRole('button', { name: /DUPONT Jeanne/ }).click();
    const timeline = supPage.getByRole('region', { name: 'Historique du dossier' });
    for (const step of ['ouverture du dossier', 'appel reçu de 06 12 34 56 78', 'envoi en régulation', 'prise en charge par le médecin', 'appel passé vers 06 12 34 56 78', 'note :', 'décision : Consultation', 'clôture']) {
      await expect(timeline).toContainText(step);
    }
    await expect(timeline).toContainText('DR 1');
    await expect(timeline).toContainText('ARM 1');
    await expect(timeline).not.toContainText('non synchronisé');

    // The same patient calls again an hour later: the ARM answers and sees the previous case at once.
    const again = await patient.call({ to: 'arm1' });
    await expect(armPage.getByRole('alert', { name: 'Appel entrant' })).toContainText('06 12 34 56 78', { timeout: 5_000 });
    await armPage.keyboard.press('Alt+KeyD');
    await expect(armPage.getByLabel('Numéro de rappel')).toHaveValue('06 12 34 56 78');
    const repeats = armPage.getByRole('region', { name: 'Appels antérieurs (72 h)' });
    await expect(repeats).toContainText('DUPONT Jeanne');
    await expect(repeats).toContainText('Consultation (médecin de garde / MMG)');
    await expect(repeats).toContainText('Rappel dans les 24 h');
    await armPage.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
    await expect(armPage.locator('.suggestion')).toContainText('P3 relevée à P2');
    await armPage.getByRole('button', { name: 'Appliquer P2' }).click();
    await expect(armPage.getByLabel(/P2 — urgent/)).toBeChecked();
    // Nothing asked twice: the identity and the place come from the earlier case.
    await repeats.getByRole('button', { name: 'Reprendre l’identité' }).click();
    await expect(armPage.getByLabel('Nom', { exact: true })).toHaveValue('Dupont');
    await expect(armPage.getByLabel('Date de naissance')).toHaveValue('02/03/1950');
    await expect(armPage.getByRole('combobox', { name: 'Commune (nom ou code postal)' })).toHaveValue(/^Dijon \(21000\)$/);
    await repeats.getByRole('button', { name: 'Lier à ce dossier' }).click();
    await expect(repeats.getByText('lié')).toBeVisible();
    await armPage.screenshot({ path: `${shots}/arm-repeat-caller-light.png` });
    await armPage.keyboard.press('Alt+KeyT');
    await armPage.screenshot({ path: `${shots}/arm-repeat-caller-dark.png` });
    await again.hangUp();
  } finally {
    await patient.stop();
    for (const s of stations) await s.close();
    await server.close();
    await db.close();
    await drop();
  }
});

test('a half-filled form survives the workstation going down', async ({ page }) => {
  const dir = tempDir();
  let core = WorkstationCore.open({ dataDir: dir.path });
  let host = await startWebHost({ core, staticDir: STATIC, port: 0 });
  // Its own data folder: the workstation is restarted on it below.
  try {
    await page.goto(host.launchUrl());
    const ws = new WorkstationPage(page);
    await ws.login('Hélène Robert', 'ARM (assistant de régulation médicale)');
    await ws.openNewCase();
    await page.keyboard.type('06 98 76 54 32');
    await page.getByLabel('Nom', { exact: true }).fill('Bernard');
    await page.getByLabel('Précisions').fill('Chute dans l’escalier');
    // Saved on this workstation within half a second, before any commit: the last field typed
    // included (the label alone may still be the one of the save before it).
    await expect(page.locator('.save-state')).toHaveText('Brouillon sauvegardé sur ce poste');
    const caseId = core.store.recent(1)[0]!.id;
    await expect.poll(() => JSON.stringify(core.store.getDraft(caseId)?.fields ?? null)).toContain('Chute dans l’escalier');
    const reference = (await page.locator('.case-header h2 .mono').textContent())!;
    // The workstation goes down (its core and its page) before the fields became an event.
    const port = host.port;
    await host.close();
    await core.close();
    core = WorkstationCore.open({ dataDir: dir.path });
    host = await startWebHost({ core, staticDir: STATIC, port });
    await page.goto(host.launchUrl());
    await ws.login('Hélène Robert', 'ARM (assistant de régulation médicale)');
    await page.getByRole('list', { name: 'Dossiers récents' }).getByRole('button').first().click();
    await expect(page.locator('.case-header h2 .mono')).toHaveText(reference);
    await expect(page.getByText(/Saisie non enregistrée restaurée/)).toBeVisible();
    await expect(page.getByLabel('Nom', { exact: true })).toHaveValue('Bernard');
    await expect(page.getByLabel('Précisions')).toHaveValue('Chute dans l’escalier');
    await expect(page.getByLabel('Numéro de rappel')).toHaveValue('06 98 76 54 32');
    // Then it becomes an event, as any edit.
    await expect(page.locator('.save-state')).toHaveText(/Enregistré à/, { timeout: 6_000 });
    await expect(page.getByRole('region', { name: 'Historique du dossier' })).toContainText('numéro de rappel : 06 98 76 54 32');
  } finally {
    await host.close();
    await core.close();
    dir.cleanup();
  }
});
