/** Page object of the browser shell: what a regulator sees and does, in French. */
import { expect, type Page } from '@playwright/test';

export class WorkstationPage {
  constructor(readonly page: Page) {}

  async login(name: string, role: 'ARM (assistant de régulation médicale)' | 'Médecin régulateur' | 'Superviseur', department = '21') {
    await this.page.getByLabel('Nom et prénom').fill(name);
    await this.page.getByLabel(role).check();
    await this.page.getByLabel('Département').fill(department);
    await this.page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(this.page.getByText(name)).toBeVisible();
  }

  /** Alt+N, then wait until the new case's callback number field has the focus. */
  async openNewCase() {
    await this.page.keyboard.press('Alt+KeyN');
    await expect(this.page.getByText(/Dossier \d{8}-[0-9A-F]{6}/).first()).toBeVisible();
    await expect(this.page.getByLabel('Numéro de rappel')).toBeFocused();
  }

  async chooseCommune(text: string, name: string) {
    const field = this.page.getByRole('combobox', { name: 'Commune (nom ou code postal)' });
    await field.fill(text);
    await expect(this.page.getByRole('option', { name: new RegExp(name) }).filter({ visible: true }).first()).toBeVisible();
    await field.press('Enter');
    await expect(field).toHaveValue(new RegExp(`^${name}( \\(\\d{5}\\))?$`));
  }
}
