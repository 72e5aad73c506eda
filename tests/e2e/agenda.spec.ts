/**
 * The shared agenda in Chromium: an effector publishes a range from their phone, a regulator of a
 * partner organisation (the SAS) finds it and books a place, the effector's page shows the booking
 * live; a supervisor looks at the offer (heat map, per doctor, sectors without a slot).
 */
import { effectorPassword } from '../fixtures/effectors.js';
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { test, expect } from '@playwright/test';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { freshDatabase, rawLogin, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { effector } from '../fixtures/effectors.js';
import { setUpEffectors } from '../fixtures/effector-center.js';
import { WorkstationPage } from './pages/workstation.js';
import { closeStationPages, effectorPage, openStation, serverLogin, SHOTS, stationPage, type Station } from './site.js';

test.afterEach(closeStationPages);

async function api(url: string, login: string, method: string, path: string, body: unknown) {
  const token = await rawLogin(url, login);
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** A week of published slots from several doctors, so that the heat map has something to show. */
async function seedWeek(url: string, ids: string[]) {
  const TZ = 'Europe/Paris';
  const today = new TZDate(Date.now(), TZ);
  const at = (dayOffset: number, h: number) => new TZDate(today.getFullYear(), today.getMonth(), today.getDate() + dayOffset, h, 0, 0, 0, TZ).getTime();
  for (const [i, id] of ids.entries()) {
    for (let d = 1; d <= 7; d++) {
      if ((d + i) % 3 === 0) continue;
      const h = [8, 12, 17, 19][(d + i) % 4]!;
      await api(url, 'admin1', 'POST', '/api/agenda/slots', {
        effectorId: id, kind: 'range', start: at(d, h), end: at(d, h + 2 + (i % 2)), capacity: 4, modality: 'cabinet', placeId: 'cab', visibility: 'pro', cpts: [], repeatWeeks: 0,
      });
    }
  }
}

test('a SAS regulator books a place in a range the effector published; the effector sees it live; the supervisor sees the offer', async ({ browser }) => {
  test.setTimeout(120_000);
  const { db, drop } = await freshDatabase('pglite');
  const server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const stations: Station[] = [];
  try {
    const doctors = [
      effector(1, { firstName: 'Inès', lastName: 'Morel' }),
      effector(2, { firstName: 'Paul', lastName: 'Girard' }),
      effector(3, { firstName: 'Nadia', lastName: 'Lopez', sectors: ['S2'] }),
      effector(4, { firstName: 'Yves', lastName: 'Lambert', sectors: ['S2'] }),
      effector(5, { firstName: 'Rémi', lastName: 'Faure', sectors: ['S3'], participation: { surnombre: true } }),
    ];
    await setUpEffectors(server.url, doctors);
    await seedWeek(server.url, doctors.slice(1, 4).map((d) => d.id));

    // The admin declares the SAS as a partner organisation, attaches its regulator, resets a password.
    const adminStation = await openStation(server.url);
    stations.push(adminStation);
    const admin = await stationPage(browser);
    await admin.goto(adminStation.host.launchUrl());
    await serverLogin(admin, 'admin1');
    await admin.getByRole('button', { name: 'Effecteurs et partenaires' }).click();
    const orgForm = admin.getByRole('form', { name: 'Organisation partenaire' });
    await orgForm.getByLabel('Identifiant').fill('sas-21');
    await orgForm.getByLabel('Nom').fill('SAS Côte-d’Or');
    await orgForm.getByLabel('Type').selectOption({ label: 'SAMU / SAS' });
    await orgForm.getByLabel('Régulation seulement').check();
    await orgForm.getByRole('button', { name: 'Enregistrer l’organisation' }).click();
    await expect(admin.getByRole('status').filter({ hasText: 'Organisation « SAS Côte-d’Or » enregistrée.' })).toBeVisible();
    await expect(admin.getByRole('row', { name: /sas-21/ })).toContainText('Public, Professionnels, Régulation seulement');
    const attach = admin.getByRole('form', { name: 'Rattacher un utilisateur' });
    await attach.getByLabel('Identifiant de l’utilisateur').fill('dr11');
    await attach.getByLabel('Organisation').selectOption({ label: 'SAS Côte-d’Or' });
    await attach.getByRole('button', { name: 'Rattacher' }).click();
    await expect(admin.getByRole('status').filter({ hasText: 'dr11 : rattaché à sas-21.' })).toBeVisible();
    const access = admin.getByRole('form', { name: 'Accès des effecteurs' });
    await access.getByLabel('Médecin effecteur').selectOption({ label: `Dr Inès MOREL (${doctors[0]!.id})` });
    await access.getByLabel('Mot de passe de la page effecteur').fill('court');
    await access.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(admin.getByRole('alert').filter({ hasText: '12 caractères' })).toBeVisible();
    await access.getByLabel('Mot de passe de la page effecteur').fill(effectorPassword(doctors[0]!.id));
    await access.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(admin.getByRole('status').filter({ hasText: 'Mot de passe enregistré' })).toBeVisible();
    const cascade = admin.getByRole('form', { name: 'Délais de la cascade' });
    await expect(cascade.getByLabel('Délai du médecin traitant (min)')).toHaveValue('10');
    await cascade.getByLabel('Délai du médecin traitant (min)').fill('7');
    await cascade.getByLabel('Délai de chaque palier suivant (min)').fill('12,5');
    await cascade.getByRole('button', { name: 'Enregistrer les délais' }).click();
    await expect(admin.getByRole('status').filter({ hasText: 'Délais enregistrés' })).toBeVisible();
    // The department's PDSA rules: Saturday from 14 h, a bridge day decided by the ARS (a typo is refused by name).
    const pdsa = admin.getByRole('form', { name: 'Règles de PDSA du département' });
    await pdsa.getByLabel('Début de la PDSA le samedi').selectOption({ label: '14 h' });
    await pdsa.getByLabel(/Jours de pont/).fill('24/12/2026\n31/13/2026');
    await pdsa.getByRole('button', { name: 'Enregistrer les règles de PDSA' }).click();
    await expect(admin.getByRole('alert').filter({ hasText: 'Jour de pont illisible : 31/13/2026' })).toBeVisible();
    await pdsa.getByLabel(/Jours de pont/).fill('24/12/2026');
    await pdsa.getByRole('button', { name: 'Enregistrer les règles de PDSA' }).click();
    await expect(admin.getByRole('status').filter({ hasText: 'Règles de PDSA enregistrées' })).toBeVisible();
    const rules = await fetch(`${server.url}/api/settings/pdsa`, { headers: { authorization: `Bearer ${await rawLogin(server.url, 'dr1')}` } });
    expect(await rules.json()).toEqual({ saturdayStartHour: 14, bridgeDays: ['2026-12-24'], autoBridgeDays: false });
    const settings = await fetch(`${server.url}/api/settings/cascade`, { headers: { authorization: `Bearer ${await rawLogin(server.url, 'dr1')}` } });
    expect(await settings.json()).toEqual({ treatingDoctorMs: 420_000, tierMs: 750_000 });

    // Dr Morel publishes a range for tomorrow 10:00–12:00, 3 patients, for professionals.
    const phone = await effectorPage(browser, server.url, doctors[0]!.id);
    await phone.getByRole('tab', { name: /Créneaux/ }).click();
    const tomorrow = format(new TZDate(Date.now() + 24 * 3600_000, 'Europe/Paris'), 'yyyy-MM-dd');
    const form = phone.getByRole('form', { name: 'Publier des créneaux' });
    // Typed the French way, day first (the field is the same in every browser language).
    const tomorrowFr = tomorrow.split('-').toReversed().join('/');
    await form.getByLabel('Jour').fill(tomorrowFr);
    await form.getByLabel('Début').fill('10:00');
    await form.getByLabel('Fin').fill('12:00');
    await form.getByLabel('Nombre de patients').fill('3');
    await form.getByLabel('Visible par').selectOption({ label: 'Professionnels' });
    await form.getByRole('button', { name: 'Publier' }).click();
    await expect(phone.getByRole('status').filter({ hasText: 'publication' })).toHaveText('1 publication enregistrée.');
    const slot = phone.getByRole('article', { name: /Créneau/ }).first();
    await expect(slot).toContainText('0 place prise sur 3');

    // The SAS regulator (partner organisation) finds it and books a place.
    const sasStation = await openStation(server.url);
    stations.push(sasStation);
    const sas = await stationPage(browser);
    await sas.goto(sasStation.host.launchUrl());
    await serverLogin(sas, 'dr11');
    await expect(sas.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    // A partner organisation's user sees the agenda and nothing of the center: no queue, no case,
    // no duty directory, no statistics; its workstation holds no case.
    const agenda = sas.getByRole('region', { name: 'Agenda partagé' });
    await expect(agenda).toBeVisible();
    await expect(sas.getByText('Organisation partenaire : sas-21')).toBeVisible();
    for (const name of ['Annuaire de garde', 'Statistiques', 'Nouveau dossier']) await expect(sas.getByRole('button', { name })).toHaveCount(0);
    await expect(sas.getByRole('region', { name: /File de régulation/ })).toHaveCount(0);
    expect(sasStation.core.store.countCases()).toBe(0);
    await agenda.getByLabel('Secteur').selectOption({ label: 'S1 — Dijon' });
    await agenda.getByLabel('Quand').selectOption({ label: '48 prochaines heures' });
    const row = agenda.getByRole('row', { name: /Inès MOREL/ });
    await expect(row).toContainText('3 / 3');
    await expect(row).toContainText('secteur du patient');
    await row.getByRole('button', { name: 'Réserver' }).click();
    const confirm = agenda.getByRole('form', { name: 'Confirmer la réservation' });
    await confirm.getByLabel('Patient').fill('Romane BERTIN');
    await confirm.getByLabel('Téléphone').fill('06 22 33 44 55');
    await confirm.getByLabel('Motif').fill('Douleur lombaire');
    await sas.screenshot({ path: `${SHOTS}/shared-agenda-booking.png` });
    await confirm.getByRole('button', { name: 'Confirmer la réservation' }).click();
    await expect(agenda.getByRole('status')).toContainText('Réservé : Dr Inès MOREL');
    await expect(row).toContainText('2 / 3');

    // The effector's page shows the booking at once, with the patient and who booked.
    await expect(slot).toContainText('1 place prise sur 3', { timeout: 2_000 });
    await expect(slot).toContainText('Romane BERTIN — Douleur lombaire (sas-21, DR 11) — Réservé');
    await phone.screenshot({ path: `${SHOTS}/effector-phone-slots.png` });

    // No slot in Montbard: the SAS books in surnombre with the doctor who accepts it.
    await agenda.getByLabel('Secteur').selectOption({ label: 'S3 — Montbard' });
    const extra = agenda.getByLabel('Surnombre');
    await expect(extra).toContainText('Aucune place libre dans le secteur.');
    await extra.getByRole('button', { name: /Rémi FAURE/ }).click();
    await confirm.getByLabel('Heure du rendez-vous').fill(`${tomorrowFr} 18:30`);
    await confirm.getByLabel('Patient').fill('Lucas PETIT');
    await confirm.getByLabel('Motif').fill('Otalgie');
    await confirm.getByRole('button', { name: 'Confirmer la réservation' }).click();
    await expect(agenda.getByRole('status')).toContainText('Réservé : Dr Rémi FAURE');

    // A physician of the center books from the case he regulates, and the booking becomes its decision.
    const drStation = await openStation(server.url);
    stations.push(drStation);
    const drPage = await stationPage(browser);
    await drPage.goto(drStation.host.launchUrl());
    await serverLogin(drPage, 'dr1');
    await expect(drPage.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    const dr = new WorkstationPage(drPage);
    await dr.openNewCase();
    await drPage.keyboard.type('06 44 55 66 77');
    await drPage.getByLabel('Nom', { exact: true }).fill('Vidal');
    await drPage.getByLabel('Prénom').fill('Anne');
    await drPage.getByLabel('Date de naissance').fill('09/09/1988');
    await dr.chooseCommune('dijo', 'Dijon');
    await drPage.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
    await drPage.getByLabel(/P3 — non urgent/).check();
    await drPage.keyboard.press('Alt+KeyE');
    await expect(drPage.locator('.case-header .status')).toHaveText('En attente de régulation');
    await expect(drPage.getByRole('button', { name: /Prendre en charge/ })).toBeVisible();
    await drPage.keyboard.press('Alt+KeyP');
    await expect(drPage.locator('.case-header .status')).toHaveText('En régulation');
    await drPage.getByRole('button', { name: 'Chercher un créneau (agenda partagé)' }).click();
    const drAgenda = drPage.getByRole('region', { name: 'Agenda partagé' });
    const girard = drAgenda.getByRole('row', { name: /Paul GIRARD/ }).first();
    await girard.getByRole('button', { name: 'Réserver' }).click();
    const drConfirm = drAgenda.getByRole('form', { name: 'Confirmer la réservation' });
    await expect(drConfirm.getByLabel('Patient')).toHaveValue('Anne VIDAL');
    await expect(drConfirm.getByLabel('Téléphone')).toHaveValue('06 44 55 66 77');
    await drConfirm.getByLabel('Motif').fill('Fièvre depuis 3 jours');
    await drConfirm.getByRole('button', { name: 'Confirmer la réservation' }).click();
    await drAgenda.getByRole('button', { name: 'Enregistrer comme décision du dossier' }).click();
    await expect(drPage.locator('.decision-made')).toContainText('Consultation (médecin de garde / MMG) — Dr Paul GIRARD — RDV');
    await expect(drPage.locator('.decision-made')).toContainText('Cabinet 2, 2 rue de la Liberté');

    // The supervisor's view of the offer.
    const supStation = await openStation(server.url);
    stations.push(supStation);
    const sup = await stationPage(browser, { viewport: { width: 1600, height: 1100 } });
    await sup.goto(supStation.host.launchUrl());
    await serverLogin(sup, 'sup1');
    await sup.getByRole('button', { name: 'Offre de soins' }).click();
    const offer = sup.getByRole('region', { name: 'Offre de soins non programmés' });
    await expect(offer.getByRole('table', { name: 'Heures de créneaux par heure de la semaine' })).toBeVisible();
    await expect(offer.getByRole('row', { name: /Inès MOREL/ }).first()).toContainText('✓ atteint');
    await expect(offer.getByRole('alert')).toContainText('S3');
    await expect(offer.getByRole('row', { name: /Rémi FAURE/ }).first()).toContainText('✗ non atteint');
    await sup.screenshot({ path: `${SHOTS}/offer-heat-map.png`, fullPage: true });
  } finally {
    await Promise.all(stations.map((s) => s.close()));
    await server.close();
    await db.close();
    await drop();
  }
});
