/**
 * Nothing typed is ever lost (issue 17, screens): Escape in a note or a select, the commune and its
 * postal code as typed, a commune left half typed, one invalid field next to valid ones, over-long
 * texts, and a case opened by mistake cancelled with a reason. Each test fails on the code before.
 */
import { test, expect } from './fixtures.js';
import { WorkstationPage } from './pages/workstation.js';
import { SHOTS } from './site.js';

const ARM = 'ARM (assistant de régulation médicale)' as const;
const commune = (page: import('@playwright/test').Page) => page.getByRole('combobox', { name: 'Commune (nom ou code postal)' });
const communeOptions = (page: import('@playwright/test').Page) => page.getByRole('listbox', { name: /communes$/ }).getByRole('option');
const steps = (page: import('@playwright/test').Page) => page.getByRole('region', { name: 'Historique du dossier' }).getByRole('listitem');

test('Escape in a select or a note keeps the case open; closing it keeps the half-typed note', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Claire Roux', 'Médecin régulateur');
  await ws.openNewCase();
  await page.keyboard.type('0380000000');
  const reference = (await page.locator('.case-header .mono').textContent())!;
  await new WorkstationPage(page).screenSendAndTake('Bernard', '04/05/1960');
  // Escape on a select during screening: the case stays.
  await page.getByLabel('Motif d’appel').focus();
  await page.keyboard.press('Escape');
  await expect(page.locator('.case-header .mono')).toHaveText(reference);
  // A clinical note half typed: Escape belongs to the text area.
  const note = page.getByLabel('Note clinique');
  await note.fill('Douleur abdominale depuis ce matin, pas de fièvre, a pris du parac');
  await note.press('Escape');
  await expect(page.locator('.case-header .mono')).toHaveText(reference);
  await expect(note).toHaveValue(/a pris du parac$/);
  // Escape outside a field closes the case; the note comes back when it is opened again.
  await page.locator('.case-header h2').click();
  await page.keyboard.press('Escape');
  await expect(page.getByText('Aucun dossier ouvert')).toBeVisible();
  await page.getByRole('list', { name: 'Dossiers récents' }).getByRole('button').first().click();
  await expect(page.locator('.case-header .mono')).toHaveText(reference);
  await expect(page.getByLabel('Note clinique')).toHaveValue('Douleur abdominale depuis ce matin, pas de fièvre, a pris du parac');
  await expect(page.getByText('Note non envoyée, restaurée')).toBeVisible();
  // And after a restart of the whole workstation too.
  // A restarted host forgets its browsers: the workstation is opened again by its launch link.
  await shell.restart();
  await page.goto(shell.url);
  await ws.login('Claire Roux', 'Médecin régulateur');
  await page.getByRole('list', { name: 'Dossiers récents' }).getByRole('button').first().click();
  await expect(page.getByLabel('Note clinique')).toHaveValue(/a pris du parac$/);
});

test('Escape right after typing in the screening form: the fields are recorded, not dropped', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Alice Martin', ARM);
  await ws.openNewCase();
  await page.keyboard.type('0380000001');
  await page.getByLabel('Nom', { exact: true }).fill('Lefèvre');
  await page.locator('.case-header h2').click();
  await page.keyboard.press('Escape'); // within the 0.4 s before the draft is saved
  await expect(page.getByText('Aucun dossier ouvert')).toBeVisible();
  await page.getByRole('list', { name: 'Dossiers récents' }).getByRole('button').first().click();
  await expect(page.getByLabel('Nom', { exact: true })).toHaveValue('Lefèvre');
  await expect(page.getByLabel('Numéro de rappel')).toHaveValue('03 80 00 00 01');
});

test('the commune keeps the postal code typed (Paris 15e), lists a shared code whole, finds former communes', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Alice Martin', ARM, '75');
  await ws.openNewCase();
  await commune(page).fill('75015');
  await expect(communeOptions(page)).toHaveCount(1);
  await commune(page).press('Enter');
  await expect(commune(page)).toHaveValue('Paris 15e Arrondissement (75015)');
  await expect(page.getByText('INSEE 75115')).toBeVisible();
  await page.keyboard.press('Alt+KeyS');
  await expect(steps(page).filter({ hasText: '75015 Paris 15e Arrondissement' }).first()).toBeVisible();

  // 51300 is shared by 46 communes: all of them are in the list (scrollable), not 8.
  await commune(page).fill('51300');
  await expect(page.getByRole('listbox', { name: /communes$/ })).toHaveAttribute('aria-label', /^4\d communes$/);
  const options = communeOptions(page);
  expect(await options.count()).toBeGreaterThan(40);
  await page.screenshot({ path: `${SHOTS}/commune-list-postal-code.png` });
  await options.last().scrollIntoViewIfNeeded();
  const last = (await options.last().locator('strong').textContent())!;
  await options.last().click();
  await expect(commune(page)).toHaveValue(`${last} (51300)`);

  // A commune typed without its apostrophe; a former commune by its old name.
  await commune(page).fill('lhay les');
  await expect(communeOptions(page).first()).toContainText('L\'Haÿ-les-Roses');
  await commune(page).fill('tourlaville');
  await expect(communeOptions(page).first()).toContainText('commune déléguée de Cherbourg-en-Cotentin');
  await page.screenshot({ path: `${SHOTS}/commune-list-former-commune.png` });
  await commune(page).press('Enter');
  await expect(commune(page)).toHaveValue('Tourlaville (Cherbourg-en-Cotentin)');
  await page.keyboard.press('Alt+KeyS');
  await expect(steps(page).filter({ hasText: 'Tourlaville (Cherbourg-en-Cotentin)' }).first()).toBeVisible();
});

test('a commune left half typed: one match is picked, several are said on the field, the list never covers the next fields', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Alice Martin', ARM);
  await ws.openNewCase();
  await commune(page).fill('21000');
  await expect(communeOptions(page)).toHaveCount(1);
  await page.keyboard.press('Tab'); // leaves without choosing: the one match is taken
  await expect(commune(page)).toHaveValue('Dijon (21000)');
  await expect(page.getByText('INSEE 21231')).toBeVisible();

  await commune(page).fill('saint');
  await expect(communeOptions(page).first()).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('listbox', { name: /communes$/ })).toHaveCount(0);
  await expect(page.getByText(/communes correspondent : choisissez-en une dans la liste/)).toBeVisible();
  await expect(commune(page)).toHaveAttribute('aria-invalid', 'true');
  await expect(commune(page)).toHaveValue('saint');
  // The reason list can be used: nothing lies over it.
  await page.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
  await expect(page.getByLabel('Motif d’appel')).toHaveValue('FEVER');
});

test('one invalid field: the others of its section are recorded, each error on its field, in French; long texts are bounded', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Alice Martin', ARM);
  await ws.openNewCase();
  await page.keyboard.type('123');
  await page.getByLabel('Nom', { exact: true }).fill('Girard');
  await page.getByLabel('Prénom').fill('Paul');
  await page.getByLabel('Date de naissance').fill('01/01/2090');
  await page.keyboard.press('Alt+KeyS');
  // The name is recorded although the number and the date are not.
  await expect(steps(page).filter({ hasText: 'GIRARD' }).or(steps(page).filter({ hasText: 'Girard' })).first()).toBeVisible();
  await expect(page.locator('.queue, .case-list').getByText(/Girard/i).first()).toBeVisible();
  await expect(page.getByText('numéro invalide (10 chiffres, ou +indicatif)')).toBeVisible();
  await expect(page.getByLabel('Numéro de rappel')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('date dans le futur')).toBeVisible();
  await expect(page.getByLabel('Date de naissance')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Enregistré, sauf les champs signalés en rouge')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/field-level-errors.png` });
  // Correcting the number records it.
  await page.getByLabel('Numéro de rappel').fill('03 80 00 00 02');
  await page.keyboard.press('Alt+KeyS');
  await expect(page.getByLabel('Numéro de rappel')).not.toHaveAttribute('aria-invalid', 'true');

  // 5,000 characters pasted in "Précisions": 500 kept, the counter says so, no raw zod message anywhere.
  const precisions = page.getByLabel('Précisions');
  await precisions.fill('x'.repeat(5000));
  await expect(precisions).toHaveValue('x'.repeat(500));
  await expect(page.getByText('500 / 500 caractères')).toBeVisible();
  await page.keyboard.press('Alt+KeyS');
  await expect(page.getByText(/Too big|expected string|Paramètres invalides/)).toHaveCount(0);
});

test('a note of one unbroken 4,000-character word wraps: the case never scrolls sideways', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Claire Roux', 'Médecin régulateur');
  await ws.openNewCase();
  await page.keyboard.type('0380000003');
  await new WorkstationPage(page).screenSendAndTake('Bernard', '04/05/1960');
  await page.getByLabel('Note clinique').fill('a'.repeat(4000));
  await expect(page.getByText('4 000 / 4 000 caractères')).toBeVisible();
  await page.getByRole('button', { name: 'Ajouter la note' }).click();
  await expect(page.getByRole('list', { name: 'Notes cliniques' })).toBeVisible();
  const panel = page.locator('section.panel.case');
  const { scrollWidth, clientWidth } = await panel.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
});

test('a case opened by mistake is cancelled with a reason, recorded in its history', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Alice Martin', ARM);
  await ws.openNewCase();
  await page.getByRole('button', { name: 'Annuler ce dossier (ouvert par erreur)…' }).click();
  await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await expect(page.getByText('Indiquez pourquoi ce dossier est annulé.')).toBeVisible();
  await page.getByLabel('Motif d’annulation').fill('Alt+N par erreur, aucun appel');
  await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await expect(page.locator('.case-header .status')).toHaveText('Annulé');
  await expect(steps(page).filter({ hasText: 'Alt+N par erreur, aucun appel' })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /Annuler ce dossier/ })).toHaveCount(0);
});
