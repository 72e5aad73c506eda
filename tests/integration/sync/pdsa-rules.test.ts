/**
 * A department's PDSA rules are set by its admin, not in code: Saturday's start and the ARS's
 * bridge days change the statistics (PDSA or daytime) and every workstation's PDSA banner at once.
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { call, openWorkstation, startTestServer, waitFor } from '../../fixtures/sync-harness.js';
import type { PdsaRules } from '../../../src-shared/schemas/reference.js';

const { track } = closeAfterEach();
/** Saturday 28 November 2026, 13:00 in Dijon (winter time, UTC+1). */
const SATURDAY_1300 = Date.UTC(2026, 10, 28, 12, 0);
/** Thursday 24 December 2026, 10:00 in Dijon: a working day unless the ARS made it a bridge day. */
const DECEMBER_24_1000 = Date.UTC(2026, 11, 24, 9, 0);

describe('PDSA rules per center', () => {
  it('an admin sets them; the workstations and the statistics follow; nobody else may change them', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    const admin = track(await openWorkstation(ts.url, { login: 'admin1' }));
    await waitFor('online', () => arm.core.syncStatus().connection === 'online');
    const pdsaAt = async (at: number) => (await call<{ inPdsa: boolean; period: { kind: string } | null }>(arm.core, 'calendar.pdsaAt', { department: '21', at }));
    // The national defaults: Saturday from noon; 24 December is a working day.
    expect((await pdsaAt(SATURDAY_1300)).inPdsa).toBe(true);
    expect((await pdsaAt(DECEMBER_24_1000)).inPdsa).toBe(false);

    const refused = await arm.core.registry.call('pdsa.setRules', { saturdayStartHour: 14, bridgeDays: [], autoBridgeDays: false });
    expect(!refused.ok && refused.error.code).toBe('forbidden');
    const bad = await admin.core.registry.call('pdsa.setRules', { saturdayStartHour: 14, bridgeDays: ['24/12/2026'], autoBridgeDays: false });
    expect(!bad.ok && bad.error.message).toMatch(/jour de pont/);

    const rules: PdsaRules = { saturdayStartHour: 14, bridgeDays: ['2026-12-24'], autoBridgeDays: false };
    expect(await call(admin.core, 'pdsa.setRules', rules)).toEqual(rules);
    // The ARM's workstation is told at once (a frame), and keeps them for offline use.
    await waitFor('the ARM workstation follows', async () => !(await pdsaAt(SATURDAY_1300)).inPdsa, 5_000);
    expect(await pdsaAt(DECEMBER_24_1000)).toMatchObject({ inPdsa: true, period: { kind: 'bridge_day' } });
    expect(arm.core.store.getMeta('pdsa-rules')).toContain('2026-12-24');

    // Statistics classify with the same rules: a call at 13:00 on that Saturday is daytime.
    await ts.db.query(
      `INSERT INTO calls (tenant, call_id, direction, arrived_at, answered_at, ended_at, status, internal_transfer, transferred, data)
       VALUES ('cote-dor', 'c-sat', 'in', $1, $2, $3, 'ended', false, false, '{}')`,
      [SATURDAY_1300, SATURDAY_1300 + 5_000, SATURDAY_1300 + 60_000],
    );
    const stats = await call<{ calls: { received: number; pdsa: { received: number }; daytime: { received: number } } }>(admin.core, 'stats.period', { from: '2026-11-28', to: '2026-11-28' });
    expect(stats.calls.received).toBe(1);
    expect(stats.calls.daytime.received).toBe(1);
    expect(stats.calls.pdsa.received).toBe(0);
  });
});
