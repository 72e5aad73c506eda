/** Page object of the browser shell: what a regulator sees and does, in French. */
import { expect, type Page } from '@playwright/test';

export class WorkstationPage {
  constructor(readonly page: Page) {}

  async login(name: string, role: 'ARM (assistant de régulation médicale)' | 'Médecin régulateur' | 'Superviseur', department = '21') {
    await this.page.getByLabel('Nom et prénom').fill(name);
    await this.page.getByLabel(role).check();
    await this.page.getByLabel('Département').fill(department);
    await this.page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await expect(this.page.getByText(name)).toBeVisible();
  }

  /** Alt+N, then wait until the new case's callback number field has the focus. */
  async openNewCase() {
    await this.page.keyboard.press('Alt+KeyN');
    await expect(this.page.getByText(/Dossier \d{8}-[0-9A-F]{6}/).first()).toBeVisible();
    await expect(this.page.getByLabel('Numéro de rappel')).toBeFocused();
  }

  /**
   * A physician's own new case (its number typed): screened enough to be sent (name, birth date,
   * Dijon, fever, P3), sent with Alt+E and taken with Alt+P.
   */
  async screenSendAndTake(lastName: string, birthDate: string) {
    await this.page.getByLabel('Nom', { exact: true }).fill(lastName);
    await this.page.getByLabel('Date de naissance').fill(birthDate);
    await this.chooseCommune('dijo', 'Dijon');
    await this.page.getByLabel('Motif d’appel').selectOption({ label: 'Fièvre' });
    await this.page.getByLabel(/P3 — non urgent/).check();
    await this.page.keyboard.press('Alt+KeyE');
    await expect(this.page.locator('.case-header .status')).toHaveText('En attente de régulation');
    await this.page.keyboard.press('Alt+KeyP');
    await expect(this.page.locator('.case-header .status')).toHaveText('En régulation');
  }

  async chooseCommune(text: string, name: string) {
    const field = this.page.getByRole('combobox', { name: 'Commune (nom ou code postal)' });
    await field.fill(text);
    await expect(this.page.getByRole('option', { name: new RegExp(name) }).filter({ visible: true }).first()).toBeVisible();
    await field.press('Enter');
    await expect(field).toHaveValue(new RegExp(`^${name}( \\(\\d{5}\\))?$`));
  }
}
