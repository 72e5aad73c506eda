/**
 * The workstation keeps what a shift needs: open cases, and closed ones for a week (never less
 * than the 72 h of the repeat-caller look-up); older closed cases leave it, stay on the server, and
 * come back when searched or opened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseSummary, RegulationCase } from '../../../src-shared/schemas/case.js';
import { openWorkstation, rawLogin, startTestServer, waitFor, type TestServer, type Workstation } from '../../fixtures/sync-harness.js';

const DAY = 86_400_000;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openCase(w: Workstation, phone: string, lastName: string): Promise<string> {
  const r = await w.core.registry.call('case.open', { line: '116117', fields: { callbackPhone: phone, patient: { lastName, firstName: 'Jeanne' } } });
  if (!r.ok) throw new Error(r.error.message);
  return (r.value as RegulationCase).id;
}

/** A server and its workstations on one clock that the test moves (days pass in a second). */
async function centerOnOneClock() {
  const clock = { at: Date.now() };
  const server: TestServer = await startTestServer('postgres', { now: () => clock.at });
  cleanups.push(() => server.close());
  const workstation = async (login: string, options: { cacheRetentionDays?: number } = {}) => {
    const w = await openWorkstation(server.url, { login }, { now: () => clock.at, ...options });
    cleanups.push(() => w.close());
    return w;
  };
  return { clock, workstation };
}

async function cancel(w: Workstation, caseId: string, reason: string): Promise<void> {
  expect((await w.core.registry.call('case.command', { caseId, command: { type: 'cancel', reason } })).ok).toBe(true);
}

const pushed = (w: Workstation) => waitFor('pushed', () => w.core.store.countPendingMutations() === 0, 15_000);

/** A new shift: the session of days ago has long ended. */
async function loginAgain(w: Workstation): Promise<void> {
  expect((await w.core.registry.call('session.login', { login: 'arm1', password: 'arm1-password' })).ok).toBe(true);
}

describe('workstation cache retention', () => {
  it('purges closed cases past the retention, keeps the rest, and gets a purged case back from the server', async () => {
    const { clock, workstation } = await centerOnOneClock();
    const w = await workstation('arm1');

    const cancelled = await openCase(w, '06 11 22 33 44', 'Quintavalle');
    const recentCancelled = await openCase(w, '06 11 22 33 55', 'Vanderschueren');
    const open = await openCase(w, '06 11 22 33 66', 'Oudinot');
    const typing = await openCase(w, '06 11 22 33 77', 'Ravanel');
    await cancel(w, cancelled, 'appel en double');
    await pushed(w);

    // Four days later (a new shift: the session of four days ago has long ended): the second one
    // is cancelled; a note is being typed in the last one.
    clock.at += 4 * DAY;
    await loginAgain(w);
    await cancel(w, recentCancelled, 'rappel du patient');
    await cancel(w, typing, 'erreur de saisie');
    await pushed(w);
    expect((await w.core.registry.call('draft.saveText', { caseId: typing, field: 'note', text: 'note en cours' })).ok).toBe(true);

    // Eight days after the first: it alone is past the seven days of retention.
    clock.at += 4 * DAY;
    expect(w.core.purgeCache()).toEqual([cancelled]);
    expect(w.core.store.getCase(cancelled)).toBeUndefined();
    for (const kept of [recentCancelled, open, typing]) expect(w.core.store.getCase(kept)).toBeDefined();
    // A week later still, the one whose note is being typed stays: nothing typed is lost.
    clock.at += 7 * DAY;
    expect(w.core.purgeCache()).toEqual([recentCancelled]);
    expect(w.core.store.getCase(typing)).toBeDefined();

    // The server still has it: a search by number finds it, opening it brings it back whole (a
    // new shift again: logged in, online).
    await loginAgain(w);
    await waitFor('online', () => w.core.syncStatus().connection === 'online', 10_000);
    const byPhone = await w.core.registry.call('case.search', { phone: '06 11 22 33 44', limit: 20 });
    expect(byPhone.ok && (byPhone.value as CaseSummary[]).map((c) => c.id)).toEqual([cancelled]);
    const byName = await w.core.registry.call('case.search', { name: 'quinta', limit: 20 });
    expect(byName.ok && (byName.value as CaseSummary[]).map((c) => c.id)).toContain(cancelled);
    const back = await w.core.registry.call('case.get', { caseId: cancelled });
    expect(back).toMatchObject({ ok: true, value: { id: cancelled, status: 'cancelled', fields: { patient: { lastName: 'Quintavalle' } } } });
    const history = await w.core.registry.call('case.history', { caseId: cancelled });
    expect(history.ok && (history.value as { kind: string }[]).map((e) => e.kind)).toEqual(['case.opened', 'case.cancelled']);
    // A retention set below the 72 h of the repeat-caller look-up is raised to it: a case cancelled
    // two days ago stays, whatever the configuration says.
    const shortRetention = await workstation('arm2', { cacheRetentionDays: 1 });
    const twoDaysOld = await openCase(shortRetention, '06 11 22 33 88', 'Lemaire');
    await cancel(shortRetention, twoDaysOld, 'erreur de numéro');
    await pushed(shortRetention);
    clock.at += 2 * DAY;
    expect(shortRetention.core.purgeCache()).not.toContain(twoDaysOld);
    expect(shortRetention.core.store.getCase(twoDaysOld)).toBeDefined();
    clock.at += 2 * DAY;
    expect(shortRetention.core.purgeCache()).toContain(twoDaysOld);
    // The event log stays append-only outside the purge.
    const db = (w.core.store as unknown as { db: import('better-sqlite3-multiple-ciphers').Database }).db;
    expect(() => db.prepare('DELETE FROM case_events').run()).toThrow(/append-only/);
  });

  it('a new workstation fetches open cases and those closed within the retention, not the older ones', async () => {
    const { clock, workstation } = await centerOnOneClock();
    const first = await workstation('arm1');
    const old = await openCase(first, '06 22 33 44 11', 'Quintavalle');
    await cancel(first, old, 'appel en double');
    await pushed(first);
    clock.at += 10 * DAY;
    await loginAgain(first);
    const open = await openCase(first, '06 22 33 44 22', 'Oudinot');
    const recent = await openCase(first, '06 22 33 44 33', 'Ravanel');
    await cancel(first, recent, 'rappel du patient');
    await pushed(first);

    const fresh = await workstation('arm2');
    await waitFor('snapshot', () => fresh.core.store.syncState().snapshotComplete && fresh.core.syncStatus().connection === 'online', 15_000);
    expect(fresh.core.store.getCase(open)).toBeDefined();
    expect(fresh.core.store.getCase(recent)).toBeDefined();
    expect(fresh.core.store.getCase(old)).toBeUndefined();
    // Still there when asked for.
    const found = await fresh.core.registry.call('case.search', { phone: '06 22 33 44 11', limit: 20 });
    expect(found.ok && (found.value as CaseSummary[]).map((c) => c.id)).toEqual([old]);
  });

  it('refuses a malformed search or snapshot query with a clear error', async () => {
    const server = await startTestServer('pglite');
    cleanups.push(() => server.close());
    const token = await rawLogin(server.url, 'arm1');
    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    for (const query of ['', '?phone=%2B33611223344&name=dupont', '?phone=0611223344', '?name=d', '?phone=%2B33611223344&limit=1000', '?phone=%2B33611223344&extra=1']) {
      const r = await get(`/api/cases/search${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error?.code, query).toBe('invalid_input');
    }
    expect((await get('/api/cases/search?phone=%2B33611223344')).status).toBe(200);
    for (const query of ['?closedSince=-1', '?closedSince=hier']) expect((await get(`/api/sync/snapshot${query}`)).status, query).toBe(400);
    expect((await get(`/api/sync/snapshot?closedSince=${Date.now()}`)).status).toBe(200);
  });
});
