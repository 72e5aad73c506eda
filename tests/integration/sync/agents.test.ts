/** Agent states through the real server: published by a workstation, seen by a supervisor's. */
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import type { AgentPresence } from '../../../src-shared/sync-protocol/messages.js';
import { call, expectConverged, openWorkstation, startTestServer, TENANT, waitFor } from '../../fixtures/sync-harness.js';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';

const { track } = closeAfterEach();

describe('agent states', () => {
  it('a state change reaches the supervisor’s workstation at once, and is logged', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    const sup = track(await openWorkstation(ts.url, { login: 'sup1' }));
    await waitFor('online', () => [arm, sup].every((w) => w.core.syncStatus().connection === 'online'));
    const pushed: AgentPresence[][] = [];
    sup.core.subscribe((event, payload) => {
      if (event === 'agents.changed') pushed.push((payload as { agents: AgentPresence[] }).agents);
    });
    expect(await call(arm.core, 'agent.setState', { state: 'available', reason: null })).toEqual({ published: true });
    expect(await call(arm.core, 'agent.setState', { state: 'pause', reason: 'meal' })).toEqual({ published: true });
    await waitFor('pushed to the supervisor', () => pushed.some((a) => a.some((x) => x.displayName === 'ARM 1' && x.state === 'pause')));
    const list = await call<AgentPresence[]>(sup.core, 'agent.list', {});
    expect(list).toEqual([expect.objectContaining({ userId: 'cote-dor:arm1', role: 'arm', state: 'pause', reason: 'meal', workstation: arm.core.workstationId })]);

    const bad = await arm.core.registry.call('agent.setState', { state: 'pause', reason: null });
    expect(!bad.ok && bad.error.code).toBe('invalid_input');
    const { rows } = await ts.db.query<{ state: string; reason: string | null }>('SELECT state, reason FROM agent_state_log WHERE tenant = $1 ORDER BY at', [TENANT]);
    expect(rows).toEqual([
      { state: 'available', reason: null },
      { state: 'pause', reason: 'meal' },
    ]);
  });

  it('a physician hands a case to a colleague on duty; the server agrees and every workstation sees it', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    const dr1 = track(await openWorkstation(ts.url, { login: 'dr1' }));
    const dr2 = track(await openWorkstation(ts.url, { login: 'dr2' }));
    await waitFor('online', () => [arm, dr1, dr2].every((w) => w.core.syncStatus().connection === 'online'));
    const c = await call<RegulationCase>(arm.core, 'case.open', {
      line: '116117',
      fields: { callbackPhone: '0612345678', patient: { lastName: 'Dupont', birthDate: '1950-03-02' }, location: { inseeCode: '21231' }, reasonCode: 'FEVER', priority: 'P3' },
    });
    await call(arm.core, 'case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
    await waitFor('case on dr1', () => dr1.core.store.getCase(c.id)?.status === 'waiting_regulation');
    await call(dr1.core, 'case.command', { caseId: c.id, command: { type: 'take' } });
    const to = { userId: 'cote-dor:dr2', displayName: 'DR 2', role: 'physician' as const };
    await call(dr1.core, 'case.command', { caseId: c.id, command: { type: 'hand_over', to } });
    await expectConverged(ts, [arm, dr1, dr2]);
    for (const w of [arm, dr1, dr2]) expect(w.core.store.getCase(c.id)?.takenBy).toEqual(to);
    const decided = await call<RegulationCase>(dr2.core, 'case.command', { caseId: c.id, command: { type: 'decide', decision: { code: 'PHONE_ADVICE' } } });
    expect(decided.decidedBy?.userId).toBe('cote-dor:dr2');
    await expectConverged(ts, [arm, dr1, dr2]);
  });
});
