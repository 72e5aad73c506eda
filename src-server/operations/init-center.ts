/** The first center of a new installation and its administrator (permanence-server init). */
import { createTenant, createUser } from '../services/auth.js';
import { passwordProblem } from '../services/password-policy.js';
import type { SqlDatabase } from '../db/sql.js';
import { CliError } from './server-config.js';

export interface InitCenter {
  tenant: string;
  name: string;
  department: string;
  admin: string;
  displayName: string;
  password: string;
}

export async function initCenter(db: SqlDatabase, c: InitCenter): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(c.tenant)) throw new CliError('--tenant : identifiant de centre attendu (minuscules, chiffres, tirets), par exemple cote-dor.');
  if (!/^(\d{2}|2A|2B|97\d)$/.test(c.department)) throw new CliError('--department : numéro de département attendu (21, 2A, 974…).');
  if (!/^[a-z0-9._-]{2,64}$/i.test(c.admin)) throw new CliError('--admin : identifiant attendu (lettres, chiffres, point, tiret).');
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenants WHERE id = $1', [c.tenant]);
  if (rows.length) throw new CliError(`Le centre « ${c.tenant} » existe déjà : rien n’a été modifié (les comptes se gèrent ensuite dans l’application).`);
  const problem = await passwordProblem(c.password, [c.admin, c.displayName, c.tenant, c.name]);
  if (problem) throw new CliError(`Mot de passe refusé : ${problem}`);
  await db.transaction(async (tx) => {
    await createTenant(tx, { id: c.tenant, name: c.name, department: c.department });
    await createUser(tx, { tenant: c.tenant, login: c.admin, displayName: c.displayName, role: 'admin', password: c.password });
  });
}
