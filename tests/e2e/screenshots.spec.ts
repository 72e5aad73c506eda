/**
 * Screens as a regulator sees them. Written to docs/screenshots/ when UPDATE_SCREENSHOTS=1,
 * to test-results/ otherwise (so CI checks the scene renders without touching the repo).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect } from './fixtures.js';
import { WorkstationPage } from './pages/workstation.js';

const outDir = process.env.UPDATE_SCREENSHOTS ? resolve('docs/screenshots') : resolve('test-results/screenshots');
mkdirSync(outDir, { recursive: true });

const waiting = [
  { name: ['Lefèvre', 'Louis'], birth: '2024-02-11', sex: 'M', insee: '21231', reason: 'FEVER_CHILD', priority: 'P2', phone: '06 11 22 33 44' },
  { name: ['Moreau', 'Agnès'], birth: '1938-07-30', sex: 'F', insee: '21054', reason: 'DYSPNOEA', priority: 'P2', phone: '03 80 22 11 00' },
  { name: ['Garnier', 'Paul'], birth: '1985-05-02', sex: 'M', insee: '21425', reason: 'ABDOMINAL_PAIN', priority: 'P3', phone: '07 81 45 12 90' },
  { name: ['Nguyen', 'Lina'], birth: '2019-10-09', sex: 'F', insee: '21231', reason: 'ENT', priority: 'P3', phone: '06 55 44 33 22' },
] as const;

test('ARM view, dark theme, with a queue and a case being screened', async ({ page, shell }) => {
  // Stage the queue through the same contract the UI uses.
  const call = async (method: string, params: unknown) => {
    const r = await shell.core.registry.call(method, params);
    if (!r.ok) throw new Error(r.error.message);
    return r.value as { id: string };
  };
  await call('session.login', { displayName: 'Hélène Robert', role: 'arm', department: '21' });
  for (const w of waiting) {
    const c = await call('case.open', {
      line: '116117',
      fields: {
        callbackPhone: w.phone,
        patient: { lastName: w.name[0], firstName: w.name[1], birthDate: w.birth, sex: w.sex },
        location: { inseeCode: w.insee },
        reasonCode: w.reason,
        priority: w.priority,
      },
    });
    await call('case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
  }

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(shell.url);
  await expect(page.getByText('Hélène Robert')).toBeVisible();
  const ws = new WorkstationPage(page);
  await ws.openNewCase();
  await page.keyboard.type('06 98 76 54 32');
  await page.getByLabel('Nom', { exact: true }).fill('Bernard');
  await page.getByLabel('Prénom').fill('Marcel');
  await page.getByLabel('Date de naissance').fill('17/01/1942');
  await page.getByLabel('Sexe').selectOption('M');
  await ws.chooseCommune('beaune', 'Beaune');
  await page.getByLabel('Motif d’appel').selectOption({ label: 'Traumatisme / chute' });
  await page.getByLabel('Précisions').fill('Chute dans la salle de bain, douleur hanche droite, conscient');
  await page.getByLabel(/P2 — urgent/).check();
  await page.keyboard.press('Alt+KeyS');
  await expect(page.getByText('Dossier enregistré.')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  await expect(page.getByRole('list', { name: 'File de régulation' }).getByRole('listitem')).toHaveCount(4);
  await page.screenshot({ path: `${outDir}/arm-workstation-dark.png` });

  await page.keyboard.press('Alt+KeyT');
  await page.screenshot({ path: `${outDir}/arm-workstation-light.png` });
});
