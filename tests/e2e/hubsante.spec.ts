/**
 * Hub Santé in Chromium, against the loopback Hub (second RabbitMQ node with TLS and EXTERNAL,
 * the project's dispatcher stub) and a scripted SAMU on raw AMQP: a physician transfers a case to
 * the SAMU and the case shows every delivery step up to the SAMU's integration and acceptance; the
 * SAMU hands a case to liberal regulation, it appears in the queue marked as from the SAMU, with
 * what the SAMU sent verbatim, and the physician accepts it (the SAMU receives the answer).
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import { v7 as uuidv7 } from 'uuid';
import { startServer, type RegulationServer } from '../../src-server/server.js';
import { freshDatabase, TOKEN_SECRET, TENANT } from '../fixtures/sync-harness.js';
import { HubDispatcherStub } from '../fixtures/hub-dispatcher.js';
import { act, arm, ensureHubBroker, hubConfig, message, partnerCase, ScriptedPartner } from '../fixtures/hub.js';
import { ackOf } from '../../src-shared/domain/hubsante-protocol.js';
import { readEnvelope, type HubEnvelope } from '../../src-shared/domain/hubsante-envelope.js';
import { closeStationPages, openStation, serverLogin, SHOTS, stationPage, type Station } from './site.js';

test.afterEach(closeStationPages);

const LIBERAL = 'fr.health.snp210';
const SAMU = 'fr.health.samu210';

/** The physician opens a waiting case from the queue, takes it (Alt+P) and transfers it to the SAMU with a reason. */
async function takeAndTransfer(page: Page, row: Locator, reason: string): Promise<void> {
  await row.click();
  // The case is on screen (its take button shown) before the shortcut takes it.
  await expect(page.getByRole('button', { name: /Prendre en charge/ })).toBeVisible();
  await page.keyboard.press('Alt+KeyP');
  await expect(page.locator('.case-header .status')).toHaveText('En régulation');
  await page.getByLabel('Motif du transfert au SAMU').fill(reason);
  await page.getByRole('button', { name: 'Transférer au SAMU' }).click();
}

test('transfer to the SAMU with its delivery steps, and a case handed over by the SAMU', async ({ browser }) => {
  test.setTimeout(120_000);
  ensureHubBroker();
  const stub = new HubDispatcherStub();
  await stub.start();
  // The scripted SAMU acknowledges every case and update it receives as integrated.
  const samu = await ScriptedPartner.open(SAMU, {
    autoAck: (env) => {
      const d = readEnvelope(env as HubEnvelope);
      if (!d.ok || (d.value.useCase !== 'createCaseHealth' && d.value.useCase !== 'createCaseHealthUpdate')) return null;
      const now = Date.now();
      return ackOf(d.value, { clientId: SAMU, sentAt: now, expiresAt: now + 86_400_000, uuid: uuidv7() }, { step: 'INTEGRE' });
    },
  });
  // What earlier runs left for the liberal center's identity is not this test's.
  await (await ScriptedPartner.open(LIBERAL)).close();
  const { db, drop } = await freshDatabase('pglite');
  const server: RegulationServer = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1000, hubsante: [hubConfig(TENANT, LIBERAL, SAMU)], hubTickMs: 200 });
  let station: Station | undefined;
  try {
    // An ARM's case waits for regulation (written through the server, as the ARM's workstation would).
    const caseId = uuidv7();
    await act(server, TENANT, caseId, { type: 'open', line: '116117', fields: { callbackPhone: '0611223344', reasonCode: 'CHEST_PAIN', priority: 'P2', location: { inseeCode: '21231', communeName: 'Dijon', address: '4 rue de la Liberté' }, patient: { lastName: 'Moreau', firstName: 'Jean', ageYears: 61, sex: 'M' } } }, arm);
    await act(server, TENANT, caseId, { type: 'send_to_regulation' }, arm);

    station = await openStation(server.url);
    const page = await stationPage(browser);
    await page.goto(station.host.launchUrl());
    await serverLogin(page, 'dr1');
    await expect(page.getByRole('status').filter({ hasText: 'En ligne' })).toBeVisible();
    await expect(page.getByRole('button', { name: /Hub Santé : connecté/ })).toBeVisible();

    // The physician takes the case and transfers it to the SAMU.
    const queue = page.getByRole('list', { name: 'File de régulation' });
    await takeAndTransfer(page, queue.getByRole('button', { name: /MOREAU Jean/ }), 'Douleur thoracique typique : suspicion de SCA');

    // Each step, from the broker's confirm to the SAMU's integration.
    const hub = page.getByRole('region', { name: 'Hub Santé' });
    const steps = hub.getByRole('list', { name: 'Acheminement : Transfert du dossier au SAMU' });
    await expect(steps.getByRole('listitem').filter({ hasText: 'Reçu par le Hub' })).toHaveClass(/done/);
    await expect(steps.getByRole('listitem').filter({ hasText: 'Intégré par le SAMU' })).toHaveClass(/done/);
    await expect(steps.getByRole('listitem').filter({ hasText: 'Reçu par le SAMU' })).toHaveClass(/done/);
    await expect(hub).toContainText('Transféré au SAMU : en attente de sa prise en charge');
    const sent = samu.on('message').find((m) => readEnvelope(m as HubEnvelope).ok && (m as HubEnvelope).content[0].jsonContent.embeddedJsonContent.message.createCaseHealth);
    expect(sent).toBeTruthy();

    // The SAMU accepts (its id stays the owner): the case says so.
    const hubCaseId = ((sent as HubEnvelope).content[0].jsonContent.embeddedJsonContent.message.createCaseHealth as { caseId: string }).caseId;
    // Its update carries the patient's age only (61 typed here, 62 for the SAMU): the name stays.
    await samu.publish(
      message(SAMU, LIBERAL, 'Update', 'createCaseHealthUpdate', {
        caseId: hubCaseId,
        owner: SAMU,
        freetext: 'Pris en charge, SMUR engagé',
        patient: [{ patientId: `${hubCaseId}.patient.1`, detail: { age: 'P62Y' } }],
      }),
    );
    await expect(hub).toContainText('Pris en charge par le SAMU');
    // At the top of the case, the Hub panel says what the update changed and that it replaced a value typed here.
    await expect(hub.getByRole('list', { name: 'Messages échangés avec le SAMU' })).toContainText('— patient (remplace une valeur saisie ici : patient — voir l’historique)');
    const timeline = page.getByRole('region', { name: 'Historique du dossier' });
    await expect(timeline).toContainText('Transfert du dossier au SAMU : Intégré par le destinataire');
    // Opened on the server before this workstation started: its whole history all the same.
    await expect(timeline.getByRole('listitem').first()).toContainText('ouverture du dossier (116 117)');
    await expect(timeline).toContainText('mise à jour reçue du SAMU');
    await expect(timeline).toContainText('responsable : SAMU 21');
    // The reason typed for the transfer does not come back as a reason to reopen.
    await expect(page.getByLabel('Motif de réouverture')).toHaveValue('');
    // The value it replaced, and who had typed it, are in the record.
    const replaced = timeline.locator('.field-changes li.replaced');
    await expect(replaced).toContainText('patient : MOREAU Jean, 61 ans, Homme → MOREAU Jean, 62 ans, Homme');
    await expect(replaced).toContainText('— remplace la valeur saisie ici par ARM 1');
    await timeline.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hub-update-replaced-value.png` });
    await hub.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hub-transfer-to-samu.png` });

    // The SAMU hands a non-urgent case to liberal regulation: it shows in the queue, marked.
    const handed = `${SAMU}.DRFR1521A26330${Date.now() % 100000}`;
    const published = Date.now();
    await samu.publish(
      message(
        SAMU,
        LIBERAL,
        'Report',
        'createCaseHealth',
        partnerCase(handed, {
          owner: LIBERAL,
          lastName: 'Lambert',
          firstName: 'Zoé',
          age: 4,
          commune: { name: 'Beaune', inseeCode: '21054' },
          phone: '+33380000000',
          notes: ['Otalgie fébrile, pas de signe de gravité'],
          extra: { additionalInformation: { customMap: [{ key: 'dossierSamu', label: 'Numéro SAMU', value: 'S-2026-0777' }] } },
        }),
      ),
    );
    const row = queue.getByRole('button', { name: /LAMBERT Zoé/ });
    await expect(row).toBeVisible();
    console.log(`[hub e2e] SAMU publish → row visible in the liberal queue: ${Date.now() - published} ms`);
    await expect(row).toContainText('Confié par le SAMU');
    await row.click();
    await expect(hub).toContainText('Confié par le SAMU : en attente de votre réponse');
    await expect(page.getByRole('list', { name: 'Notes cliniques' })).toContainText('Otalgie fébrile');
    await hub.getByText('Messages complets (tels que reçus et envoyés)').click();
    await expect(hub.locator('.hub-raw').first()).toContainText('S-2026-0777');
    await hub.getByRole('button', { name: 'Accepter la prise en charge' }).click();
    await expect(hub).toContainText('Prise en charge acceptée par la régulation libérale');
    await expect
      .poll(() => samu.on('message').some((m) => (m as HubEnvelope).content[0].jsonContent.embeddedJsonContent.message.createCaseHealthUpdate && JSON.stringify(m).includes(handed) && JSON.stringify(m).includes(`"owner":"${LIBERAL}"`)))
      .toBe(true);

    // The national SAS platform's search opens with the case's context.
    const sasLink = page.getByRole('link', { name: 'Chercher un créneau sur la plateforme nationale SAS' });
    await expect(sasLink).toHaveAttribute('href', /origin=permanence.*inseecode=21054.*city=Beaune/);

    // The SAS platform booked an appointment for this patient: the physician links it to the case.
    const sas = await ScriptedPartner.open('fr.health.test.ptfsas');
    try {
      const appointmentId = `rdv-e2e-${Date.now()}`;
      await sas.publish(
        message('fr.health.test.ptfsas', LIBERAL, 'Report', 'appointment', {
          appointmentId,
          method: 'CreateAppointment',
          created: '2026-11-26T02:20:00+01:00',
          start: '2026-11-26T09:30:00+01:00',
          end: '2026-11-26T09:45:00+01:00',
          status: 'booked',
          orientationCategory: 'CPTS',
          practitioner: { rppsId: '810012345678', lastName: 'Durand', firstName: 'Claire' },
          organization: { organizationId: 'cpts-beaune', name: 'CPTS de Beaune' },
          regulator: { regulatorName: 'Morel', regulatorFirstname: 'Anne', regulatorEmail: 'anne.morel@example.fr' },
        }),
      );
      await page.getByRole('button', { name: /Hub Santé : connecté/ }).click();
      const view = page.getByRole('region', { name: 'Hub Santé' });
      const item = view.getByRole('listitem').filter({ hasText: appointmentId });
      await expect(item).toContainText('Claire Durand — CPTS de Beaune — CPTS — réservé');
      await item.getByRole('button', { name: /Lier au dossier/ }).click();
      await expect(item.getByRole('button', { name: /Lié au dossier/ })).toBeVisible();
      await expect.poll(() => sas.on('ack').length).toBe(1);
      await item.getByRole('button', { name: /Lié au dossier/ }).click();
      await expect(page.getByRole('list', { name: 'Notes cliniques' })).toContainText(`Rendez-vous SAS ${appointmentId} lié au dossier : Claire Durand`);
    } finally {
      await sas.close();
    }

    // An update for a case nobody here knows: refused (702) and quarantined; the supervisor sees it.
    await samu.publish(message(SAMU, LIBERAL, 'Update', 'createCaseHealthUpdate', { caseId: `${SAMU}.DRFR1521A263309999`, freetext: 'Complément pour un dossier jamais reçu' }));
    const supPage = await stationPage(browser);
    const supStation = await openStation(server.url);
    try {
      await supPage.goto(supStation.host.launchUrl());
      await serverLogin(supPage, 'sup1');
      await supPage.getByRole('button', { name: /Hub Santé : connecté/ }).click();
      const view = supPage.getByRole('region', { name: 'Hub Santé' });
      await expect(view.getByRole('list').filter({ hasText: 'erreur 702' })).toContainText('dossier inconnu');
      await expect(view).toContainText('fr.health.snp210 — 15-15_v2.0');
      // Everything we sent was acknowledged by the SAMU.
      await expect(view).toContainText('Tous nos messages ont été acquittés par leur destinataire.');
      await supPage.screenshot({ path: `${SHOTS}/hub-view-quarantine.png` });
    } finally {
      await supStation.close();
    }

    // The link to the Hub drops: a transfer made meanwhile says so, and leaves once the link is back.
    const link = server.hub(TENANT)!.link;
    await link.stop();
    await expect(page.getByRole('button', { name: /Hub Santé : déconnecté/ })).toBeVisible();
    const during = uuidv7();
    await act(server, TENANT, during, { type: 'open', line: '116117', fields: { callbackPhone: '0699887766', reasonCode: 'FEVER', priority: 'P2', location: { inseeCode: '21231', communeName: 'Dijon' }, patient: { lastName: 'Dubois', firstName: 'Marie', ageYears: 80, sex: 'F' } } }, arm);
    await act(server, TENANT, during, { type: 'send_to_regulation' }, arm);
    await takeAndTransfer(page, queue.getByRole('button', { name: /DUBOIS Marie/ }), 'Détresse respiratoire');
    await expect(hub.getByRole('alert').filter({ hasText: 'Liaison Hub Santé coupée' })).toBeVisible();
    const waiting = hub.getByRole('list', { name: 'Acheminement : Transfert du dossier au SAMU' });
    await expect(waiting.getByRole('listitem').filter({ hasText: 'Reçu par le Hub' })).toHaveClass(/todo/);
    await hub.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/hub-link-down.png` });
    link.start();
    await expect(waiting.getByRole('listitem').filter({ hasText: 'Intégré par le SAMU' })).toHaveClass(/done/, { timeout: 15_000 });
    await expect(hub.getByRole('alert').filter({ hasText: 'Liaison Hub Santé coupée' })).toHaveCount(0);
  } finally {
    await station?.close();
    await server.close();
    await samu.close();
    await stub.stop();
    await db.close();
    await drop();
  }
});
