/** Several workstation cores against one real server: what one does, all see, in one order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, RegulationCase } from '../../../src-shared/schemas/case.js';
import {
  call,
  ENGINES,
  expectConverged,
  openWorkstation,
  OTHER_TENANT,
  startTestServer,
  waitFor,
  type TestServer,
  type Workstation,
} from '../../fixtures/sync-harness.js';

const screening = (name: string, priority = 'P3') => ({
  callbackPhone: '06 12 34 56 78',
  patient: { lastName: name, ageYears: 40 },
  location: { inseeCode: '21231' },
  reasonCode: 'FEVER',
  priority,
});

describe.each(ENGINES)('sync convergence (%s)', (engine) => {
  let ts: TestServer;
  const open: Workstation[] = [];
  const ws = async (login: string, tenant?: string) => {
    const w = await openWorkstation(ts.url, { login, ...(tenant ? { tenant, password: `${login}-password` } : {}) });
    open.push(w);
    return w;
  };
  beforeAll(async () => {
    ts = await startTestServer(engine);
  });
  afterAll(async () => {
    await Promise.all(open.map((w) => w.close()));
    await ts.close();
  });

  it('two workstations: the ARM’s case reaches the physician, who takes it; the ARM sees who', async () => {
    const arm = await ws('arm1');
    const dr = await ws('dr1');
    const c = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: screening('Dupont') });
    await call(arm.core, 'case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
    await waitFor('case in the physician’s queue', async () => (await call<CaseSummary[]>(dr.core, 'queue.list', {})).some((q) => q.id === c.id));
    const taken = await call<RegulationCase>(dr.core, 'case.command', { caseId: c.id, command: { type: 'take' } });
    expect(taken.takenBy?.displayName).toBe('DR 1');
    await waitFor('ARM sees who took it', () => arm.core.store.getCase(c.id)?.takenBy?.displayName === 'DR 1');
    const history = arm.core.store.history(c.id);
    expect(history.map((e) => [e.kind, e.syncStatus])).toEqual([
      ['case.opened', 'accepted'],
      ['case.sent_to_regulation', 'accepted'],
      ['case.taken', 'accepted'],
    ]);
    expect(history.map((e) => e.serverSeq)).toEqual([...history.map((e) => e.serverSeq)].sort((a, b) => a! - b!));
    await expectConverged(ts, [arm, dr]);
  });

  it('a workstation that joins later shows a case’s whole history, not only what followed its snapshot', async () => {
    const arm = await ws('arm1');
    const c = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: screening('Bernard') });
    await call(arm.core, 'case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
    await waitFor('accepted by the server', () => arm.core.store.history(c.id).every((e) => e.syncStatus === 'accepted'));
    // The physician's workstation starts now: the case reaches it as a snapshot, then one event.
    const late = await ws('dr2');
    await waitFor('case on the late workstation', () => late.core.store.getCase(c.id) !== undefined);
    await call(late.core, 'case.command', { caseId: c.id, command: { type: 'take' } });
    expect(late.core.store.history(c.id)[0]?.kind).not.toBe('case.opened');
    const history = await call<{ kind: string; syncStatus: string }[]>(late.core, 'case.history', { caseId: c.id });
    expect(history.map((e) => e.kind)).toEqual(['case.opened', 'case.sent_to_regulation', 'case.taken']);
    // Kept: the next read is local, and the case is the same as before.
    expect(late.core.store.history(c.id).map((e) => e.kind)).toEqual(['case.opened', 'case.sent_to_regulation', 'case.taken']);
    await waitFor('taken on the server', () => late.core.store.history(c.id).every((e) => e.syncStatus === 'accepted'));
    await expectConverged(ts, [arm, late]);
  });

  it('twenty workstations: a case created on each appears on all, identical to the server', async () => {
    const logins = ['arm2', 'arm3', ...Array.from({ length: 12 }, (_, i) => `dr${i + 1}`), 'sup1', 'arm1', 'dr1', 'dr2', 'dr3', 'dr4'];
    const many = await Promise.all(logins.map((l) => ws(l)));
    const creators = many.filter((_, i) => logins[i] !== 'sup1');
    // An admin's workstation, logged in too: it manages the center and holds no patient.
    const admin = await ws('admin1');
    const ids = await Promise.all(creators.map(async (w, i) => (await call<RegulationCase>(w.core, 'case.open', { line: '116117', fields: screening(`Patient${i}`) })).id));
    const truth = await expectConverged(ts, many, 20_000);
    for (const id of ids) expect(truth.has(id)).toBe(true);
    for (const w of many) for (const id of ids) expect(w.core.store.getCase(id)).toBeDefined();
    expect(admin.core.syncStatus().connection).toBe('online');
    expect(admin.core.store.countCases()).toBe(0);
  });

  it('ten physicians press "take" at the same moment: exactly one wins, the others are told who', async () => {
    const arm = await ws('arm1');
    const c = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: screening('Course', 'P2') });
    await call(arm.core, 'case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
    const doctors = await Promise.all(Array.from({ length: 10 }, (_, i) => ws(`dr${i + 1}`)));
    await waitFor('all see the case waiting', () => doctors.every((d) => d.core.store.getCase(c.id)?.status === 'waiting_regulation'));
    const rejections: { caseId: string; message: string }[] = [];
    for (const d of doctors) d.core.subscribe((event, payload) => event === 'case.rejected' && rejections.push(payload as never));
    // Every doctor takes it locally (optimistic), then the server decides.
    const local = await Promise.all(doctors.map((d) => d.core.registry.call('case.command', { caseId: c.id, command: { type: 'take' } })));
    expect(local.every((r) => r.ok)).toBe(true);
    await expectConverged(ts, [arm, ...doctors]);
    const winner = arm.core.store.getCase(c.id)!.takenBy!;
    // Every screen shows the same holder, and only that doctor's "take" was accepted.
    expect(doctors.filter((d) => d.core.store.getCase(c.id)!.takenBy!.userId === winner.userId)).toHaveLength(10);
    expect(doctors.filter((d) => d.core.store.countRejectedMutations() === 0).map((d) => d.core.store.getCase(c.id)!.takenBy!.userId)).toContain(winner.userId);
    const { rows } = await ts.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE case_id = $1 AND kind = 'case.taken'`, [c.id]);
    expect(rows[0]!.n).toBe(1);
    await waitFor('nine refusals', () => rejections.length === 9);
    for (const r of rejections) expect(r.message).toBe(`Dossier déjà pris par ${winner.displayName}.`);
  });

  it('keeps centers apart: another center’s workstation sees none of these cases', async () => {
    const jura = await ws('jarm1', OTHER_TENANT);
    await call(jura.core, 'case.open', { line: '116117' });
    await expectConverged(ts, [jura], 15_000, OTHER_TENANT);
    expect(jura.core.store.countCases()).toBe(1);
    const arm = await ws('arm1');
    await expectConverged(ts, [arm]);
    expect(arm.core.store.recent(1000).length).toBeGreaterThan(1);
    expect((await ts.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE tenant = 'jura'`)).rows[0]!.n).toBe(1);
  });
});
