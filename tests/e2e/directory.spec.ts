/**
 * The duty directory in the browser: an admin imports the CSV files (a bad one is refused with
 * its lines named), a physician on another workstation sees who is on call now and gets them
 * offered in the decision form of a case of that sector.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { freshDatabase, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { openStation, serverLogin, SHOTS as shots, type Station, stationPage, closeStationPages } from './site.js';

test.afterEach(closeStationPages);

/** "24/12/2026 20:00" in Paris for an instant. */
const paris = (ms: number) =>
  new Date(ms).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).replace(',', '');

async function login(page: Page, who: string) {
  await serverLogin(page, who);
  await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
}

async function upload(page: Page, kind: string, name: string, csv: string) {
  const section = page.getByRole('region', { name: kind });
  await section.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await section.getByRole('button', { name: 'Importer' }).click();
  return section;
}

test('an admin imports the duty directory; a physician decides with it', async ({ browser }) => {
  const { db, drop } = await freshDatabase('pglite');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000 });
  const stations: Station[] = [await openStation(server.url), await openStation(server.url)];
  const adminPage = await stationPage(browser);
  const drPage = await stationPage(browser);
  try {
    await adminPage.goto(stations[0]!.host.launchUrl());
    await login(adminPage, 'admin1');
    await expect(adminPage.getByRole('region', { name: 'Annuaire de garde' })).toContainText('vide : rien n’a encore été importé');

    // A file with a bad line is refused whole, with the line named.
    const bad = await upload(adminPage, 'Secteurs de garde', 'secteurs.csv', 'secteur;nom;insee\nDIJ;Dijon agglomération;21231\nDIJ;Dijon agglomération;99999\n');
    await expect(bad.getByRole('alert')).toContainText('Fichier refusé, rien n’a été importé : 1 erreur.');
    await expect(bad.getByRole('alert')).toContainText('Ligne 3 : commune inconnue (code INSEE « 99999 »)');
    await expect(bad.locator('.count')).toHaveText('0');

    const sectors = await upload(adminPage, 'Secteurs de garde', 'secteurs.csv', 'secteur;nom;insee\nDIJ;Dijon agglomération;21231\nDIJ;Dijon agglomération;21617\nBEA;Beaune;21054\n');
    await expect(sectors.getByRole('status')).toHaveText('2 lignes importées.');
    const now = Date.now();
    const rota = [
      'secteur;debut;fin;medecin;telephone;rpps;mode',
      `DIJ;${paris(now - 3600_000)};${paris(now + 11 * 3600_000)};Dr Lambert;06 11 22 33 44;;visites et consultations`,
      `BEA;${paris(now - 3600_000)};${paris(now + 11 * 3600_000)};Dr Roux;06 55 66 77 88;;visite`,
      `DIJ;${paris(now + 11 * 3600_000)};${paris(now + 23 * 3600_000)};Dr Demain;06 99 88 77 66;;visite`,
    ].join('\n');
    await expect((await upload(adminPage, 'Tableau de garde des médecins', 'garde.csv', rota)).getByRole('status')).toHaveText('3 lignes importées.');
    const pharmacies = `nom;adresse;insee;telephone;debut;fin\nPharmacie du Théâtre;2 place du Théâtre;21231;03 80 30 00 00;${paris(now - 3600_000)};${paris(now + 12 * 3600_000)}\n`;
    await expect((await upload(adminPage, 'Pharmacies de garde', 'pharmacies.csv', pharmacies)).getByRole('status')).toHaveText('1 ligne importée.');
    await expect(adminPage.locator('.directory tr.current')).toHaveCount(3);
    await adminPage.screenshot({ path: `${shots}/admin-directory-light.png`, fullPage: true });

    // The physician's workstation received it; a case in Talant is in the DIJ sector.
    const dr = stations[1]!.core;
    await drPage.goto(stations[1]!.host.launchUrl());
    await login(drPage, 'dr1');
    await drPage.getByRole('button', { name: 'Annuaire de garde' }).click();
    const drDirectory = drPage.getByRole('region', { name: 'Annuaire de garde' });
    await expect(drDirectory.locator('tr.current')).toHaveCount(3);
    await drPage.keyboard.press('Escape');
    await expect(drDirectory).toBeHidden();

    const opened = await dr.registry.call('case.open', {
      line: '116117',
      fields: {
        callbackPhone: '06 12 34 56 78',
        patient: { lastName: 'Dupont', firstName: 'Jeanne', birthDate: '1950-03-02' },
        location: { inseeCode: '21617' },
        reasonCode: 'FEVER',
        priority: 'P3',
      },
    });
    expect(opened.ok).toBe(true);
    const caseId = (opened as { value: { id: string } }).value.id;
    await dr.registry.call('case.command', { caseId, command: { type: 'send_to_regulation' } });
    // The queue filters by sector: the Talant case is in DIJ, not in BEA.
    const queue = drPage.getByRole('list', { name: 'File de régulation' });
    await expect(queue.getByText('DUPONT Jeanne')).toBeVisible();
    await drPage.getByLabel('Secteur').selectOption({ label: 'Beaune' });
    await expect(queue.getByText('DUPONT Jeanne')).toBeHidden();
    await drPage.getByLabel('Secteur').selectOption({ label: 'Dijon agglomération' });
    await queue.getByRole('button', { name: /DUPONT Jeanne/ }).click();
    await drPage.getByRole('button', { name: /Prendre en charge/ }).click();
    await expect(drPage.getByLabel('De garde maintenant')).toContainText('secteur DIJ');
    await expect(drPage.getByLabel('De garde maintenant')).toContainText('Dr Lambert 06 11 22 33 44');
    await expect(drPage.getByLabel('De garde maintenant')).not.toContainText('Dr Demain');
    await drPage.getByLabel('Décision').selectOption({ label: 'Visite à domicile' });
    // The sector's on-call doctor is offered first.
    await expect(drPage.locator('#choices-effector option').first()).toHaveAttribute('value', /^Dr Lambert \(garde DIJ/);
    const offered = await drPage.locator('#choices-effector option').first().getAttribute('value');
    await drPage.getByLabel('Médecin effecteur').fill(offered!);
    await drPage.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect(drPage.locator('.decision-made')).toContainText('Visite à domicile — Dr Lambert (garde DIJ, 06 11 22 33 44)');
    await drPage.screenshot({ path: `${shots}/physician-decision-directory-light.png` });
  } finally {
    for (const s of stations) await s.close();
    await server.close();
    await db.close();
    await drop();
  }
});
