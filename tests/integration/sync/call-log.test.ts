/**
 * The call log, statistics and reports through the real server (PostgreSQL on 127.0.0.1): phones
 * report, the server merges, supervisors see live calls and figures, reports come out right.
 */
import { execFileSync } from 'node:child_process';
import { WITHHELD } from '../../../src-shared/domain/redaction.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { startFaultProxy } from '../../fixtures/fault-proxy.js';
import { call, openWorkstation, rawLogin, startTestServer, TENANT, waitFor } from '../../fixtures/sync-harness.js';
import type { CenterCall } from '../../../src-shared/schemas/call-log.js';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import type { ActivityStatistics } from '../../../src-shared/domain/statistics.js';
import type { MethodInput } from '../../../src-shared/contract/methods.js';

const { cleanups, track } = closeAfterEach();

const report = (over: Partial<MethodInput<'call.report'>>): MethodInput<'call.report'> => ({
  callId: 'call-a@127.0.0.1',
  direction: 'in',
  line: '116117',
  remote: '0612345678',
  state: 'ringing',
  arrivedAt: Date.now(),
  answeredAt: null,
  endedAt: null,
  endReason: null,
  ...over,
});

describe('call log', () => {
  it('two phones ring, one answers: the supervisor sees one call waiting, then in progress, then the figures', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm1 = track(await openWorkstation(ts.url, { login: 'arm1' }));
    const arm2 = track(await openWorkstation(ts.url, { login: 'arm2' }));
    const sup = track(await openWorkstation(ts.url, { login: 'sup1' }));
    await waitFor('online', () => [arm1, arm2, sup].every((w) => w.core.syncStatus().connection === 'online'));
    const seen: CenterCall[][] = [];
    sup.core.subscribe((event, payload) => {
      if (event === 'calls.changed') seen.push((payload as { calls: CenterCall[] }).calls);
    });
    const t = Date.now() - 20_000;
    await call(arm1.core, 'call.report', report({ arrivedAt: t }));
    await call(arm2.core, 'call.report', report({ arrivedAt: t + 30 }));
    await waitFor('one call waiting on the supervisor’s screen', () => seen.at(-1)?.length === 1 && Object.keys(seen.at(-1)![0]!.views).length === 2);
    // The supervisor watches the call, not who calls: the number is withheld on his screen.
    expect(seen.at(-1)![0]).toMatchObject({ status: 'ringing', arrivedAt: t, remote: WITHHELD });

    const c = await call<RegulationCase>(arm1.core, 'case.open', { line: '116117', fields: { callbackPhone: '0612345678', priority: 'P3' } });
    await call(arm1.core, 'call.report', report({ state: 'answered', arrivedAt: t, answeredAt: t + 25_000, caseId: c.id }));
    await call(arm2.core, 'call.report', report({ state: 'ended', arrivedAt: t + 30, endedAt: t + 25_010, endReason: 'answered_elsewhere' }));
    await waitFor('in progress', () => seen.at(-1)?.[0]?.status === 'in_progress');
    expect(seen.at(-1)![0]!.answeredBy).toMatchObject({ userId: 'cote-dor:arm1', displayName: 'ARM 1' });
    await call(arm1.core, 'call.report', report({ state: 'ended', arrivedAt: t, answeredAt: t + 25_000, endedAt: t + 200_000, endReason: 'caller_hung_up', caseId: c.id }));
    await waitFor('no call left', () => seen.at(-1)?.length === 0);
    expect(await call<CenterCall[]>(sup.core, 'calls.live', {})).toEqual([]);

    // An abandoned call: it rang on one phone and the caller hung up at 59 s.
    await call(arm2.core, 'call.report', report({ callId: 'call-b', arrivedAt: t + 1000 }));
    await call(arm2.core, 'call.report', report({ callId: 'call-b', state: 'ended', arrivedAt: t + 1000, endedAt: t + 60_000, endReason: 'caller_hung_up' }));
    await waitFor('reports delivered', () => [arm1, arm2].every((w) => w.core.store.countPendingCallReports() === 0));

    // Every report is kept as received; one row per call.
    const { rows } = await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM call_reports WHERE tenant = $1', [TENANT]);
    expect(rows[0]!.n).toBe(7);
    const { rows: calls } = await ts.db.query<{ call_id: string; status: string; answered_at: string | null }>('SELECT call_id, status, answered_at FROM calls WHERE tenant = $1 ORDER BY call_id', [TENANT]);
    expect(calls.map((r) => [r.call_id, r.status, r.answered_at === null ? null : Number(r.answered_at)])).toEqual([
      ['call-a@127.0.0.1', 'ended', t + 25_000],
      ['call-b', 'ended', null],
    ]);

    const today = await call<{ calls: { received: number; answered: number; abandoned: number; answeredWithin30s: number }; halfHours: { today: number[] } }>(sup.core, 'stats.today', {});
    expect(today.calls).toMatchObject({ received: 2, answered: 1, abandoned: 1, answeredWithin30s: 1 });
    expect(today.halfHours.today.reduce((a, b) => a + b, 0)).toBe(2);

    const day = today as unknown as { day: string };
    const stats = await call<ActivityStatistics>(sup.core, 'stats.period', { from: day.day, to: day.day });
    expect(stats.calls).toMatchObject({ received: 2, answered: 1, abandoned: 1 });
    expect(stats.cases.total).toBe(1);
    // An ARM does not read the center's statistics.
    const refused = await arm1.core.registry.call('stats.period', { from: day.day, to: day.day });
    expect(!refused.ok && refused.error.code).toBe('forbidden');
  });

  it('reports keep going out after the outbox was found empty (a periodic retry with nothing to send)', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    await waitFor('online', () => arm.core.syncStatus().connection === 'online');
    const sync = (arm.core as unknown as { sync: { pushCallReports(): Promise<void> } }).sync;
    await sync.pushCallReports(); // nothing to send: what the 5 s retry does most of the time
    for (const id of ['after-idle-1', 'after-idle-2']) await call(arm.core, 'call.report', report({ callId: id }));
    await waitFor('delivered', () => arm.core.store.countPendingCallReports() === 0, 3_000);
    const { rows } = await ts.db.query('SELECT call_id FROM calls WHERE tenant = $1 ORDER BY call_id', [TENANT]);
    expect(rows).toEqual([{ call_id: 'after-idle-1' }, { call_id: 'after-idle-2' }]);
  });

  it('a call seen while the server is away is kept on the workstation and reaches the log once, later', async () => {
    const ts = track(await startTestServer('postgres'));
    const proxy = await startFaultProxy(ts.url);
    cleanups.push(() => proxy.close());
    const arm = track(await openWorkstation(proxy.url, { login: 'arm1' }));
    await waitFor('online', () => arm.core.syncStatus().connection === 'online');
    proxy.faults.blockHttp = true;
    proxy.dropSockets();
    const t = Date.now();
    await call(arm.core, 'call.report', report({ callId: 'offline-1', arrivedAt: t }));
    await call(arm.core, 'call.report', report({ callId: 'offline-1', state: 'ended', arrivedAt: t, endedAt: t + 5_000, endReason: 'caller_hung_up' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(arm.core.store.countPendingCallReports()).toBe(2);
    proxy.faults.blockHttp = false;
    await waitFor('delivered', () => arm.core.store.countPendingCallReports() === 0, 10_000);
    const { rows } = await ts.db.query<{ status: string; n: number }>(
      `SELECT c.status, (SELECT count(*)::int FROM call_reports r WHERE r.tenant = c.tenant AND r.call_id = c.call_id) AS n FROM calls c WHERE tenant = $1`,
      [TENANT],
    );
    expect(rows).toEqual([{ status: 'ended', n: 2 }]);
  });
});

describe('bad input to the call log, statistics and settings', () => {
  it('gets a clear 400 naming the problem, and stores nothing', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = await rawLogin(ts.url, 'arm1');
    const admin = await rawLogin(ts.url, 'admin1');
    const send = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${ts.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const good = { id: '01a21455-377c-76fd-8536-d563f9365861', ...report({}) };
    const cases: [string, string, string, unknown, RegExp][] = [
      [arm, 'POST', '/api/calls', { reports: [{ ...good, line: '3615' }] }, /line/],
      [arm, 'POST', '/api/calls', { reports: [{ ...good, arrivedAt: -5 }] }, /arrivedAt/],
      [arm, 'POST', '/api/calls', { reports: [] }, /reports/],
      [arm, 'POST', '/api/calls', { reports: [good, { ...good, id: 'pas-un-uuid' }] }, /id/],
      [admin, 'GET', '/api/stats?from=2026-11-30&to=2026-11-01', undefined, /commence après sa fin/],
      [admin, 'GET', '/api/stats?from=30/11/2026&to=2026-11-30', undefined, /from/],
      [admin, 'GET', '/api/reports/activity.pdf?month=2026-13', undefined, /AAAA-MM/],
      [admin, 'PUT', '/api/settings/incentives', { amountPerActCents: -1, yearEndComplementCents: 0 }, /amountPerActCents/],
    ];
    for (const [token, method, path, body, message] of cases) {
      const res = await send(token, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('invalid_input');
      expect(json.error.message).toMatch(message);
    }
    // A batch with one bad report is refused whole: nothing of it is kept.
    const { rows } = await ts.db.query('SELECT 1 FROM call_reports WHERE tenant = $1', [TENANT]);
    expect(rows).toHaveLength(0);
  });
});

describe('reports', () => {
  it('the monthly activity report (PDF and CSV) and the acts per physician with the amounts the admin set', async () => {
    const ts = track(await startTestServer('postgres'));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    const dr = track(await openWorkstation(ts.url, { login: 'dr1' }));
    const sup = track(await openWorkstation(ts.url, { login: 'sup1' }));
    const admin = track(await openWorkstation(ts.url, { login: 'admin1' }));
    await waitFor('online', () => [arm, dr, sup, admin].every((w) => w.core.syncStatus().connection === 'online'));
    for (let i = 0; i < 3; i++) {
      const c = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: { callbackPhone: '0612345678', patient: { lastName: 'Martin', ageYears: 40 }, location: { inseeCode: '21231' }, reasonCode: 'FEVER', priority: 'P3' } });
      await call(arm.core, 'case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
      await waitFor('case on the physician’s', () => dr.core.store.getCase(c.id)?.status === 'waiting_regulation');
      await call(dr.core, 'case.command', { caseId: c.id, command: { type: 'take' } });
      await call(dr.core, 'case.command', { caseId: c.id, command: { type: 'decide', decision: { code: 'PHONE_ADVICE' } } });
    }
    await waitFor('pushed', () => dr.core.store.countPendingMutations() === 0 && arm.core.store.countPendingMutations() === 0);

    const refused = await sup.core.registry.call('incentives.set', { amountPerActCents: 1000, yearEndComplementCents: 0 });
    expect(!refused.ok && refused.error.code).toBe('forbidden');
    await call(admin.core, 'incentives.set', { amountPerActCents: 1250, yearEndComplementCents: 30000 });
    const month = new Date().toISOString().slice(0, 7);

    const acts = await call<{ filename: string; base64: string }>(sup.core, 'reports.download', { kind: 'acts.csv', month });
    const actsRows = Papa.parse<string[]>(Buffer.from(acts.base64, 'base64').toString('utf8').replace(/^\uFEFF/, ''), { delimiter: ';' }).data;
    expect(actsRows).toContainEqual(['cote-dor:dr1', 'DR 1', '3', '37,50']);
    const year = await call<{ base64: string }>(sup.core, 'reports.download', { kind: 'acts.csv', year: month.slice(0, 4) });
    const yearRows = Papa.parse<string[]>(Buffer.from(year.base64, 'base64').toString('utf8').replace(/^\uFEFF/, ''), { delimiter: ';' }).data;
    expect(yearRows.find((r) => r[0] === 'cote-dor:dr1')?.slice(-4)).toEqual(['3', '37,50', '300,00', '337,50']);

    const csv = await call<{ base64: string; contentType: string }>(sup.core, 'reports.download', { kind: 'activity.csv', month });
    const csvRows = Papa.parse<string[]>(Buffer.from(csv.base64, 'base64').toString('utf8').replace(/^\uFEFF/, ''), { delimiter: ';' }).data;
    expect(csvRows).toContainEqual(['Dossiers', 'Dossiers ouverts', '3']);
    expect(csvRows).toContainEqual(['Décision', 'Conseil médical téléphonique', '3']);

    const pdf = await call<{ filename: string; contentType: string; base64: string }>(sup.core, 'reports.download', { kind: 'activity.pdf', month });
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.filename).toBe(`activite-${TENANT}-${month}.pdf`);
    const dir = mkdtempSync(join(tmpdir(), 'permanence-report-'));
    writeFileSync(join(dir, 'r.pdf'), Buffer.from(pdf.base64, 'base64'));
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain("Rapport d'activité de régulation");
    expect(text).toMatch(/Dossiers ouverts\s+3/);
    expect(text).toContain('Délai de régulation');

    const bad = await sup.core.registry.call('reports.download', { kind: 'activity.pdf', month: '2026-13' });
    expect(!bad.ok && bad.error.code).toBe('invalid_input');
  });
});
