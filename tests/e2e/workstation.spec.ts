import { test, expect } from './fixtures.js';
import { WorkstationPage } from './pages/workstation.js';

test('an ARM logs in, opens a case with the keyboard, reloads and finds it again', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  // A workstation without a central server is the training mode, said on every screen, without
  // administration (the center's accounts and settings live on its server).
  const banner = page.getByRole('status').filter({ hasText: 'Mode formation' });
  await expect(banner).toContainText('données fictives uniquement');
  await expect(page.getByLabel('Administrateur')).toHaveCount(0);
  await ws.login('Alice Martin', 'ARM (assistant de régulation médicale)');
  await expect(page.getByText('Aucun dossier ouvert')).toBeVisible();
  await expect(banner).toBeVisible();
  if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: 'docs/screenshots/training-mode.png' });

  // Alt+N opens a case; the callback number has the focus.
  await ws.openNewCase();
  await page.keyboard.type('06 12 34 56 78');
  await page.getByLabel('Nom', { exact: true }).fill('Dupont');
  await page.getByLabel('Prénom').fill('Jeanne');
  await page.getByLabel('Date de naissance').fill('02031950');
  await ws.chooseCommune('dijo', 'Dijon');
  await page.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
  await page.getByLabel(/P3 — non urgent/).check();
  await page.keyboard.press('Alt+KeyS');
  await expect(page.getByText('Dossier enregistré.')).toBeVisible();
  const reference = (await page.locator('.case-header .mono').textContent())!;

  // Send it to regulation: it joins the queue with its waiting time.
  await page.keyboard.press('Alt+KeyE');
  await expect(page.locator('.case-header .status')).toHaveText('En attente de régulation');
  const queue = page.getByRole('list', { name: 'File de régulation' });
  await expect(queue.getByText('DUPONT Jeanne')).toBeVisible();

  // Reload the page: the case is still there, and searchable by phone however it is typed.
  await page.reload();
  await expect(page.getByText('Alice Martin')).toBeVisible();
  await expect(queue.getByText('DUPONT Jeanne')).toBeVisible();
  await page.keyboard.press('Alt+KeyR');
  await page.keyboard.type('+33 6 12 34 56 78');
  await expect(page.getByText('Résultats (1)')).toBeVisible();
  await page.getByRole('button', { name: /DUPONT Jeanne/ }).click();
  await expect(page.locator('.case-header .mono')).toHaveText(reference);
  await expect(page.getByLabel('Numéro de rappel')).toHaveValue('06 12 34 56 78');
  // Opened, the fields committed as each section was left, sent: in that order.
  const steps = page.getByRole('region', { name: 'Historique du dossier' }).getByRole('listitem');
  await expect(steps.first()).toContainText('ouverture du dossier');
  await expect(steps.nth(1)).toContainText('mise à jour');
  await expect(steps.nth(1)).toContainText('numéro de rappel : 06 12 34 56 78');
  await expect(steps.last()).toContainText('envoi en régulation');

  // Restart the whole workstation (web host and core) on the same data folder: nothing is lost.
  // A restarted host forgets its browsers: the workstation is opened again by its launch link.
  await shell.restart();
  await page.goto(shell.url);
  await ws.login('Alice Martin', 'ARM (assistant de régulation médicale)');
  await expect(queue.getByText('DUPONT Jeanne')).toBeVisible();
});

test('refuses to send an incomplete case and says what is missing', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Bruno Petit', 'ARM (assistant de régulation médicale)');
  await ws.openNewCase();
  await page.keyboard.type('0380000000');
  await page.keyboard.press('Alt+KeyE');
  await expect(page.getByRole('alert')).toContainText('À compléter avant l’envoi en régulation');
  await expect(page.getByRole('alert')).toContainText('motif d’appel');
  await expect(page.locator('.case-header .status')).toHaveText('Prise d’appel (ARM)');
});

test('a bad phone number gets a clear error and the typed data stays on screen', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Bruno Petit', 'ARM (assistant de régulation médicale)');
  await ws.openNewCase();
  await page.keyboard.type('12');
  await page.getByLabel('Nom', { exact: true }).fill('Martin');
  await page.keyboard.press('Alt+KeyS');
  // Said on the field itself; the number stays as typed, the name beside it is recorded.
  await expect(page.getByText('numéro invalide (10 chiffres, ou +indicatif)')).toBeVisible();
  await expect(page.getByLabel('Numéro de rappel')).toHaveValue('12');
  await expect(page.getByLabel('Nom', { exact: true })).toHaveValue('Martin');
  await expect(page.getByRole('list', { name: 'Dossiers récents' })).toContainText('MARTIN');
});

test('keyboard help, shortcut bar and themes', async ({ page, shell }) => {
  await page.goto(shell.url);
  const ws = new WorkstationPage(page);
  await ws.login('Claire Roux', 'Médecin régulateur');
  await expect(page.getByRole('contentinfo', { name: 'Raccourcis clavier' })).toContainText('Alt+N');
  await page.keyboard.press('F1');
  await expect(page.getByRole('dialog', { name: 'Raccourcis clavier' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Raccourcis clavier' })).toBeHidden();
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.keyboard.press('Alt+KeyT');
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(after).not.toBe(before);
  expect(['light', 'dark']).toContain(after);
  // The same from the user's menu, keyboard only; Escape closes it and gives the focus back.
  const menuButton = page.getByRole('button', { name: /Claire Roux/ });
  await menuButton.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: 'Menu de Claire Roux' });
  await expect(menu).toContainText('Claire Roux — Médecin');
  await expect(page.getByRole('menuitem', { name: /Raccourcis clavier/ })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(menu).toBeHidden();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(before);
  await menuButton.click();
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(menuButton).toBeFocused();
  // Logging out is there too.
  await menuButton.click();
  await page.getByRole('menuitem', { name: 'Se déconnecter' }).click();
  await expect(page.getByLabel('Nom et prénom')).toBeVisible();
});

test('a queue of 5,000 waiting cases is virtualized: few rows in the page, the last one reachable, filters by track', async ({ page, shell }) => {
  const call = async (method: string, params: unknown) => {
    const r = await shell.core.registry.call(method, params);
    if (!r.ok) throw new Error(r.error.message);
    return r.value as { id: string };
  };
  await call('session.login', { displayName: 'Hélène Robert', role: 'arm', department: '21' });
  const N = 5_000;
  for (let i = 0; i < N; i++) {
    const c = await call('case.open', {
      line: '116117',
      fields: {
        callbackPhone: `06${String(i).padStart(8, '0')}`,
        patient: { lastName: `Patient${String(i).padStart(4, '0')}`, firstName: 'Test', ageYears: 40 },
        location: { inseeCode: '21231' },
        reasonCode: 'FEVER',
        priority: i % 10 === 0 ? 'P1' : 'P3',
      },
    });
    await call('case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
  }
  await page.goto(shell.url);
  const queue = page.getByRole('list', { name: 'File de régulation' });
  await expect(page.locator('#queue-title .count')).toHaveText(String(N));
  // The virtualizer draws its rows once it has measured the list (a frame after the count shows).
  await expect(queue.getByRole('listitem').first()).toBeVisible();
  const rendered = await queue.getByRole('listitem').count();
  expect(rendered).toBeGreaterThan(3);
  expect(rendered).toBeLessThan(60);
  // P1 first: the first rows are the SAMU track.
  await expect(queue.getByRole('listitem').first()).toContainText('P1');
  // Alt+F lands on the first waiting case; arrows move from case to case; Entrée opens it.
  await page.keyboard.press('Alt+KeyF');
  await expect(queue.locator('[data-index="0"] button')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const third = queue.locator('[data-index="2"] button');
  await expect(third).toBeFocused();
  const name = /PATIENT(\d{4})/.exec((await third.textContent())!)![1]!;
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Nom', { exact: true })).toHaveValue(`Patient${name}`);
  // Scrolled to the end: the last case sent (P3, waiting the least).
  await page.locator('.queue-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(queue.getByText('PATIENT4999 Test')).toBeVisible();
  expect(await queue.getByRole('listitem').count()).toBeLessThan(60);
  // Filter: the SAMU track only.
  await page.getByLabel('Filtrer la file').selectOption({ label: 'SAMU (MRU)' });
  await expect(page.locator('#queue-title .count')).toHaveText(String(N / 10));
});
