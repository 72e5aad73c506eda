/** A center's PDSA rules (Saturday's start, bridge days), read by statistics and sent to workstations. */
import { DEFAULT_PDSA_RULES } from '../../src-shared/domain/pdsa-calendar.js';
import type { PdsaRules } from '../../src-shared/schemas/reference.js';
import type { Queryable } from '../db/sql.js';

export async function pdsaRulesOf(db: Queryable, tenant: string): Promise<PdsaRules> {
  const { rows } = await db.query<{ h: number; b: string; a: boolean }>(
    'SELECT saturday_start_hour AS h, bridge_days AS b, auto_bridge_days AS a FROM pdsa_settings WHERE tenant = $1',
    [tenant],
  );
  const r = rows[0];
  return r ? { saturdayStartHour: Number(r.h), bridgeDays: JSON.parse(r.b) as string[], autoBridgeDays: r.a } : { ...DEFAULT_PDSA_RULES, bridgeDays: [...DEFAULT_PDSA_RULES.bridgeDays] };
}

export async function setPdsaRules(db: Queryable, tenant: string, rules: PdsaRules, by: string, at: number): Promise<void> {
  await db.query(
    `INSERT INTO pdsa_settings (tenant, saturday_start_hour, bridge_days, auto_bridge_days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant) DO UPDATE SET saturday_start_hour = EXCLUDED.saturday_start_hour, bridge_days = EXCLUDED.bridge_days,
       auto_bridge_days = EXCLUDED.auto_bridge_days, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [tenant, rules.saturdayStartHour, JSON.stringify([...new Set(rules.bridgeDays)].toSorted()), rules.autoBridgeDays, at, by],
  );
}
