/**
 * From the physician's decision to a booked home visit, in Chromium: two effector doctors on
 * their phone pages get the request in cascade (the treating doctor first, who lets the deadline
 * pass), the second doctor accepts and only his page shows the identity, the physician confirms
 * the appointment into the case, the effector records the outcome, and the treating doctor's
 * page shows the report because the patient consented. Nothing stays on the phones.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { freshDatabase, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { effector } from '../fixtures/effectors.js';
import { setUpEffectors } from '../fixtures/effector-center.js';
import { WorkstationPage } from './pages/workstation.js';
import { closeStationPages, consoleErrors, effectorPage, openStation, serverLogin, SHOTS, stationPage, type Station } from './site.js';

test.afterEach(closeStationPages);

async function nothingStored(page: Page) {
  return page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
    caches: 'caches' in self ? (await caches.keys()).length : 0,
    serviceWorkers: 'serviceWorker' in navigator ? (await navigator.serviceWorker.getRegistrations()).length : 0,
  }));
}

test('home visit: the treating doctor lets the deadline pass, a colleague accepts, the case records it, the report reaches the treating doctor', async ({ browser }) => {
  test.setTimeout(120_000);
  const { db, drop } = await freshDatabase('pglite');
  const server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const stations: Station[] = [];
  try {
    const treating = effector(1, { firstName: 'Hélène', lastName: 'Garnier' });
    const colleague = effector(2, { firstName: 'Marc', lastName: 'Bonnet', places: [{ id: 'cab', kind: 'cabinet', name: 'Cabinet Bonnet', address: '8 rue Chabot-Charny', inseeCode: '21231' }] });
    const elsewhere = effector(3, { firstName: 'Luc', lastName: 'Perrin', sectors: ['S3'] });
    await setUpEffectors(server.url, [treating, colleague, elsewhere], { treatingDoctorMs: 5_000, tierMs: 120_000 });

    const armStation = await openStation(server.url);
    const drStation = await openStation(server.url);
    stations.push(armStation, drStation);
    const armPage = await stationPage(browser);
    const drPage = await stationPage(browser);
    for (const [page, station, login] of [[armPage, armStation, 'arm1'], [drPage, drStation, 'dr1']] as const) {
      await page.goto(station.host.launchUrl());
      await serverLogin(page, login);
      await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    }
    const pageT = await effectorPage(browser, server.url, treating.id, '&masquer=6');
    const page2 = await effectorPage(browser, server.url, colleague.id, '&masquer=6');
    await expect(pageT.getByText('Aucune demande en attente')).toBeVisible();

    // The ARM screens the call: the treating doctor is chosen by RPPS, the patient consents to the report.
    const arm = new WorkstationPage(armPage);
    await arm.openNewCase();
    await armPage.keyboard.type('06 12 34 56 78');
    await armPage.getByLabel('Nom', { exact: true }).fill('Fontaine');
    await armPage.getByLabel('Prénom').fill('Odile');
    await armPage.getByLabel('Date de naissance').fill('14/07/1941');
    await armPage.getByLabel('Sexe').selectOption({ label: 'Femme' });
    await armPage.getByRole('combobox', { name: 'Médecin traitant' }).fill(treating.rpps!);
    await expect(armPage.getByRole('combobox', { name: 'Médecin traitant' })).toHaveValue(/Hélène GARNIER/);
    await armPage.getByLabel(/Accepte que le compte rendu/).check();
    await arm.chooseCommune('dijo', 'Dijon');
    await armPage.getByLabel('Adresse').fill('5 place des Cordeliers');
    await armPage.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
    await armPage.getByLabel(/P2 — urgent/).check();
    await armPage.keyboard.press('Alt+KeyE');
    await expect(armPage.locator('.case-header .status')).toHaveText('En attente de régulation');

    // The physician takes it and sees who can take the patient now.
    const queue = drPage.getByRole('list', { name: 'File de régulation' });
    await queue.getByRole('button', { name: /FONTAINE Odile/ }).click();
    await expect(drPage.getByRole('button', { name: /Prendre en charge/ })).toBeVisible();
    await drPage.keyboard.press('Alt+KeyP');
    await expect(drPage.locator('.case-header .status')).toHaveText('En régulation');
    const who = drPage.getByRole('region', { name: 'Qui peut prendre ce patient ?' });
    await expect(who.getByRole('row', { name: /Hélène GARNIER \(médecin traitant\)/ })).toBeVisible();
    await expect(who.getByRole('row', { name: /Marc BONNET/ })).toContainText('secteur du patient');
    await expect(who.getByRole('row', { name: /Luc PERRIN/ })).toContainText('autre secteur');
    await who.getByLabel('Besoin').selectOption({ label: 'Visite à domicile' });
    await who.getByLabel('Délai souhaité').selectOption({ label: 'Sous 2 h' });
    await who.scrollIntoViewIfNeeded();
    await drPage.screenshot({ path: `${SHOTS}/who-can-take-this-patient.png` });
    await who.getByRole('button', { name: 'Solliciter les effecteurs' }).click();
    await expect(who.getByRole('status').filter({ hasText: 'en attente (Médecin traitant' })).toBeVisible();

    // The treating doctor's phone gets it (no name, no number, no address); the colleague's not yet.
    const offerT = pageT.getByRole('article', { name: 'Demande Visite à domicile' });
    await expect(offerT).toBeVisible({ timeout: 2_000 });
    await expect(offerT).toContainText('Femme, 75+ ans — Fièvre');
    await expect(offerT).toContainText('vous êtes son médecin traitant');
    await pageT.screenshot({ path: `${SHOTS}/effector-phone-request.png` });
    await expect(page2.getByText('Aucune demande en attente')).toBeVisible();

    // The treating doctor lets the deadline pass: the colleague of the sector gets it.
    const offer2 = page2.getByRole('article', { name: 'Demande Visite à domicile' });
    await expect(offer2).toBeVisible({ timeout: 10_000 });
    await offer2.getByRole('button', { name: 'Accepter' }).click();
    const accepted = page2.getByRole('article', { name: 'Patient accepté' });
    await expect(accepted).toBeVisible();
    await accepted.getByRole('button', { name: 'Afficher l’identité et le numéro' }).click();
    const identity = accepted.getByRole('definition').filter({ hasText: 'Odile FONTAINE' });
    await expect(identity).toBeVisible();
    await expect(accepted).toContainText('06 12 34 56 78');
    await expect(accepted).toContainText('5 place des Cordeliers, Dijon');
    await page2.screenshot({ path: `${SHOTS}/effector-phone-accepted.png` });
    // The treating doctor sees it withdrawn, never the identity.
    await pageT.getByRole('tab', { name: /^Demandes/ }).click();
    await pageT.getByText(/Demandes passées/).click();
    await expect(pageT.getByText('Demande retirée : prise par un confrère ou annulée.')).toBeVisible();
    await expect(pageT.locator('body')).not.toContainText('Fontaine', { ignoreCase: true });
    await expect(pageT.locator('body')).not.toContainText('12 34 56 78');

    // The physician sees who accepted, confirms the time and place; the case records it.
    await expect(who.getByRole('status').filter({ hasText: 'acceptée par Dr Marc BONNET' })).toBeVisible();
    await expect(who.getByText('Le médecin traitant a été informé')).toBeVisible();
    await who.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
    const decision = drPage.locator('.decision-made');
    await expect(decision).toContainText('Visite à domicile — Dr Marc BONNET (06 10 00 00 02) — RDV');
    await expect(decision).toContainText('Domicile du patient');
    // The ARM's screen shows the same decision (synced).
    await expect(armPage.locator('.decision-made')).toContainText('Dr Marc BONNET');

    // The appointment reaches the effector's page; the identity hides again after inactivity.
    // The appointment's day written out ("dim. 6 déc. 18:03"), never a bare 06/12.
    await expect(accepted.getByRole('status')).toContainText(/Rendez-vous : (lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2} \S+ \d{2}:\d{2} — Domicile du patient/);
    await expect(identity).toBeHidden({ timeout: 10_000 });
    await expect(accepted.getByRole('button', { name: 'Afficher l’identité et le numéro' })).toBeVisible();

    // The colleague records the outcome; the treating doctor's page shows the report (consent recorded).
    await accepted.getByLabel('Synthèse').fill('Pneumopathie probable, état stable');
    await accepted.getByLabel('Prescription').fill('Amoxicilline 1 g x3/j 7 jours');
    await accepted.getByLabel('Examens demandés').fill('Radiographie thoracique');
    await accepted.getByRole('button', { name: 'Enregistrer le compte rendu' }).click();
    await expect(page2.getByText('Compte rendu enregistré.')).toBeVisible();
    await pageT.getByRole('tab', { name: /Mes patients/ }).click();
    const report = pageT.getByRole('article', { name: 'Compte rendu d’un confrère' });
    await expect(report).toContainText('Odile FONTAINE — vu par Dr Marc BONNET');
    await expect(report).toContainText('Amoxicilline');
    await expect(pageT.getByText(/Un confrère \(Dr Marc BONNET\) a pris en charge/)).toBeVisible();
    await expect(who.getByText(/Compte rendu de l’effecteur/)).toContainText('patient vu');

    // The treating doctor goes off for 24 h from the phone; the regulators' directory says so at once.
    await pageT.getByRole('tab', { name: 'Dispo.' }).click();
    await pageT.getByRole('button', { name: 'Indisponible 24 h' }).click();
    await expect(pageT.getByText(/Indisponible jusqu’au/)).toBeVisible();
    await drPage.getByRole('button', { name: 'Annuaire de garde' }).click();
    const effectorsTable = drPage.getByRole('region', { name: 'Médecins effecteurs' });
    await expect(effectorsTable.getByRole('row', { name: /Hélène GARNIER/ })).toContainText('indisponible jusqu’au');
    await expect(effectorsTable.getByRole('row', { name: /Marc BONNET/ })).toContainText('disponible : visites et consultations');
    await pageT.getByRole('button', { name: 'Supprimer' }).click();
    await expect(effectorsTable.getByRole('row', { name: /Hélène GARNIER/ })).toContainText('disponible : visites et consultations');

    // A supervisor reads who accessed the case: the ARM, the physician, the colleague's identity reveal.
    const supStation = await openStation(server.url);
    stations.push(supStation);
    const supPage = await stationPage(browser);
    await supPage.goto(supStation.host.launchUrl());
    await serverLogin(supPage, 'sup1');
    await supPage.getByRole('searchbox').fill('Fontaine');
    await supPage.getByRole('button', { name: /FONTAINE Odile/ }).first().click();
    const accesses = supPage.getByRole('region', { name: 'Accès au dossier' });
    await accesses.getByRole('button', { name: 'Qui a consulté ce dossier ?' }).click();
    await expect(accesses.getByRole('row', { name: /ARM 1 ARM Dossier ouvert à l’écran/ })).toBeVisible();
    await expect(accesses.getByRole('row', { name: /DR 1 Médecin régulateur Dossier ouvert à l’écran/ })).toBeVisible();
    await expect(accesses.getByRole('row', { name: /Dr Marc BONNET Médecin effecteur Identité révélée au médecin effecteur/ })).toBeVisible();
    await expect(accesses.getByRole('row', { name: /SUP 1 Superviseur Dossier ouvert à l’écran/ })).toBeVisible();
    await accesses.scrollIntoViewIfNeeded();
    await supPage.screenshot({ path: `${SHOTS}/case-accesses.png` });

    // Nothing of it is kept on the phones, during the session or after it.
    for (const p of [pageT, page2]) expect(await nothingStored(p)).toEqual({ local: 0, session: 0, idb: 0, caches: 0, serviceWorkers: 0 });
    await page2.getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(page2.getByLabel('RPPS')).toBeVisible();
    await expect(page2.locator('body')).not.toContainText('FONTAINE');
    expect(await nothingStored(page2)).toEqual({ local: 0, session: 0, idb: 0, caches: 0, serviceWorkers: 0 });
  } finally {
    await Promise.all(stations.map((s) => s.close()));
    await server.close();
    await db.close();
    await drop();
  }
});

test('consultation: the accepting doctor’s practice fills the place, and nobody else is asked while it waits for confirmation', async ({ browser }) => {
  test.setTimeout(90_000);
  const { db, drop } = await freshDatabase('pglite');
  const server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const stations: Station[] = [];
  try {
    const doctor = effector(2, { firstName: 'Marc', lastName: 'Bonnet', places: [{ id: 'cab', kind: 'cabinet', name: 'Cabinet Bonnet', address: '8 rue Chabot-Charny', inseeCode: '21231' }] });
    await setUpEffectors(server.url, [doctor], { treatingDoctorMs: 5_000, tierMs: 120_000 });
    const drStation = await openStation(server.url);
    stations.push(drStation);
    const drPage = await stationPage(browser);
    await drPage.goto(drStation.host.launchUrl());
    await serverLogin(drPage, 'dr1');
    await expect(drPage.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    const phone = await effectorPage(browser, server.url, doctor.id);

    const dr = new WorkstationPage(drPage);
    await dr.openNewCase();
    await drPage.keyboard.type('06 12 34 56 79');
    await dr.screenSendAndTake('Roussel', '03/03/1990');
    const who = drPage.getByRole('region', { name: 'Qui peut prendre ce patient ?' });
    await who.getByLabel('Besoin').selectOption({ label: 'Consultation' });
    await who.getByRole('button', { name: 'Solliciter les effecteurs' }).click();

    const offer = phone.getByRole('article', { name: 'Demande Consultation' });
    await expect(offer).toBeVisible({ timeout: 10_000 });
    await offer.getByRole('button', { name: 'Accepter' }).click();
    await expect(who.getByRole('status').filter({ hasText: 'acceptée par Dr Marc BONNET' })).toBeVisible();
    // Accepted, not yet confirmed: asking again would call a second doctor.
    await expect(who.getByRole('button', { name: 'Solliciter les effecteurs' })).toHaveCount(0);
    await expect(who.getByLabel('Lieu')).toHaveValue('Cabinet Bonnet, 8 rue Chabot-Charny');
    // The time reads day first, 24 h, written out beside it, whatever the browser's language.
    await expect(who.getByLabel('Heure du rendez-vous')).toHaveValue(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    await expect(who.locator('.written-date')).toHaveText(/^(lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2} \S+ \d{4}, \d{2}:\d{2}$/);
    await who.scrollIntoViewIfNeeded();
    await drPage.screenshot({ path: `${SHOTS}/french-date-time-field.png` });
    const writtenDate = await who.locator('.written-date').textContent();
    await who.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
    await expect(drPage.locator('.decision-made')).toContainText('Cabinet Bonnet, 8 rue Chabot-Charny');
    // The decision names the appointment as the field wrote it out, and nothing in it to the second.
    await expect(drPage.locator('.decision-made')).toContainText(`RDV ${writtenDate}`);
    await expect(drPage.locator('.decision-made')).not.toHaveText(/\d{2}:\d{2}:\d{2}/);
    await expect(drPage.getByText('Indiquez le lieu.')).toHaveCount(0);
    // Neither page logged an error (the effector page's CSP warning on every load is gone).
    expect(consoleErrors.get(phone)!.filter((e) => /Content Security Policy|script-src|unsafe-eval/.test(e))).toEqual([]);
    expect(consoleErrors.get(drPage)!.filter((e) => /Content Security Policy|script-src|unsafe-eval/.test(e))).toEqual([]);
  } finally {
    await Promise.all(stations.map((s) => s.close()));
    await server.close();
    await db.close();
    await drop();
  }
});
