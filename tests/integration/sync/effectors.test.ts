/**
 * Effector doctors through the real server: the notification cascade (treating doctor first,
 * deadline, sector, neighbours), one winner among doctors accepting at once, the identity only
 * for the winner, the outcome and the report to the treating doctor only with consent,
 * availability, and bad input or wrong tokens refused.
 */
import { effectorPassword } from '../../fixtures/effectors.js';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import type { EffectorRequest } from '../../../src-shared/schemas/effectors.js';
import { rawLogin, startTestServer, TENANT, waitFor } from '../../fixtures/sync-harness.js';
import { effector, rppsOf } from '../../fixtures/effectors.js';
import { ADDRESS, EffectorClient, physicianApi, serverCase, setUpEffectors } from '../../fixtures/effector-center.js';

const { track } = closeAfterEach();

const identityIn = (texts: string[]) => texts.filter((t) => /Zébulon|Anatole|687654321|87 65 43 21|Glycines/i.test(t));

describe('notification cascade', () => {
  it('treating doctor first; the deadline passes; the sector’s doctors get it; one accepts and only he sees the identity', async () => {
    const ts = track(await startTestServer('postgres'));
    const treating = effector(1);
    const docs = [treating, effector(2), effector(3), effector(4, { sectors: ['S2'] }), effector(5, { participation: { cascade: false } })];
    await setUpEffectors(ts.url, docs, { treatingDoctorMs: 600, tierMs: 60_000 });
    const pages = await Promise.all(docs.map(async (d) => track(await (await EffectorClient.login(ts.url, d.id)).connect())));
    const [pTreating, p2, p3, p4, p5] = pages as [EffectorClient, EffectorClient, EffectorClient, EffectorClient, EffectorClient];
    const c = await serverCase(ts.url, track, { treatingDoctor: { id: treating.id, name: 'Dr Jean1 MEDECIN1' }, reportConsent: false });
    const api = await physicianApi(ts.url);

    const sent = await api('POST', '/api/effector-requests', { caseId: c.id, need: 'visit', delay: '2H' });
    expect(sent.status).toBe(200);
    const req = sent.json as EffectorRequest;
    expect(req.tierLabels).toEqual(['Médecin traitant', 'Médecins du secteur', 'Secteurs voisins']);
    await waitFor('the treating doctor has it', () => pTreating.offer(req.id)?.status === 'open');
    expect(pTreating.offer(req.id)).toMatchObject({ need: 'visit', delay: '2H', ageBand: '60-74', sex: 'M', reason: 'Fièvre', communeName: 'Dijon', asTreatingDoctor: true });
    expect(p2.offer(req.id)).toBeUndefined();
    // A second request for the same case while one runs is refused.
    expect((await api('POST', '/api/effector-requests', { caseId: c.id, need: 'visit', delay: '2H' })).status).toBe(409);

    // The treating doctor lets the deadline pass: the sector's doctors are asked, not the neighbours yet.
    await waitFor('the sector has it', () => p2.offer(req.id)?.status === 'open' && p3.offer(req.id)?.status === 'open', 5_000);
    expect(p4.offer(req.id)).toBeUndefined();
    expect(p5.offer(req.id)).toBeUndefined();
    expect((await p4.accept(req.id)).status).toBe(403);

    const won = await p3.accept(req.id);
    expect(won.status).toBe(200);
    await waitFor('withdrawn for the others', () => p2.offer(req.id)?.status === 'withdrawn' && pTreating.offer(req.id)?.status === 'withdrawn');
    await waitFor('yours on the winner’s page', () => p3.offer(req.id)?.status === 'yours');
    const late = await p2.accept(req.id);
    expect(late.status).toBe(409);
    expect((late.json as { error: { code: string } }).error.code).toBe('already_taken');

    // Identity: only for the winner, never cached.
    const mine = await p3.http('GET', `/api/effector/requests/${req.id}/patient`);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('cache-control')).toBe('no-store');
    expect(mine.json).toMatchObject({ patientName: 'Anatole ZÉBULON', callbackPhone: '+33687654321', address: ADDRESS, communeName: 'Dijon' });
    for (const other of [pTreating, p2, p4]) expect((await other.http('GET', `/api/effector/requests/${req.id}/patient`)).status).toBe(403);

    // The regulators' view: who was asked, who said what, the treating doctor told.
    const views = (await api('GET', '/api/effector-requests')).json as { requests: EffectorRequest[] };
    const view = views.requests.find((r) => r.id === req.id)!;
    expect(view.state).toBe('accepted');
    expect(view.acceptedBy).toMatchObject({ effectorId: rppsOf(3), phone: docs[2]!.phone });
    expect(view.treatingDoctorInformed).toBe(true);
    expect(view.recipients.filter((r) => r.notifiedAt !== null).map((r) => r.effectorId).sort()).toEqual([rppsOf(1), rppsOf(2), rppsOf(3)].sort());
    await waitFor('the treating doctor is told', () => (pTreating.state?.notices.length ?? 0) === 1);
    expect(pTreating.state!.notices[0]!.text).toContain('Dr Jean3 MEDECIN3');

    // Outcome: recorded once, by the winner only; no consent → no report to the treating doctor.
    const outcome = { outcome: 'seen', summary: 'Angine virale', prescription: 'Paracétamol 1 g x3/j', testsRequested: '' };
    expect((await p2.http('POST', `/api/effector/requests/${req.id}/outcome`, outcome)).status).toBe(403);
    expect((await p3.http('POST', `/api/effector/requests/${req.id}/outcome`, { ...outcome, outcome: 'maybe' })).status).toBe(400);
    expect((await p3.http('POST', `/api/effector/requests/${req.id}/outcome`, outcome)).status).toBe(200);
    expect((await p3.http('POST', `/api/effector/requests/${req.id}/outcome`, outcome)).status).toBe(409);
    await new Promise((r) => setTimeout(r, 300));
    expect(pTreating.state!.reports).toEqual([]);

    // Privacy: nothing any doctor but the winner received names the patient, gives the number or the address.
    for (const p of [pTreating, p2, p4, p5]) expect(identityIn(p.received)).toEqual([]);
    expect(identityIn(p3.received).length).toBeGreaterThan(0);

    // The trace of the request is append-only.
    const { rows } = await ts.db.query<{ kind: string }>('SELECT kind FROM effector_request_log WHERE tenant = $1 AND request_id = $2 ORDER BY at, kind', [TENANT, req.id]);
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['sent', 'tier_opened', 'accepted', 'treating_doctor_informed', 'outcome']));
    await expect(ts.db.query('DELETE FROM effector_request_log WHERE tenant = $1', [TENANT])).rejects.toThrow(/append-only/);
  });

  it('with the patient’s consent the treating doctor gets the report; with nobody answering the request comes back unanswered', async () => {
    const ts = track(await startTestServer('pglite'));
    const treating = effector(1);
    const docs = [treating, effector(2)];
    await setUpEffectors(ts.url, docs, { treatingDoctorMs: 60_000, tierMs: 1000 });
    const [pTreating, p2] = (await Promise.all(docs.map(async (d) => track(await (await EffectorClient.login(ts.url, d.id)).connect())))) as [EffectorClient, EffectorClient];
    const api = await physicianApi(ts.url);

    const c = await serverCase(ts.url, track, { treatingDoctor: { id: treating.id, name: 'Dr Jean1 MEDECIN1' }, reportConsent: true });
    const req = (await api('POST', '/api/effector-requests', { caseId: c.id, need: 'consultation', delay: '24H' })).json as EffectorRequest;
    await waitFor('offered', () => pTreating.offer(req.id)?.status === 'open');
    // The treating doctor declines: the sector is asked at once, without waiting.
    expect((await pTreating.decline(req.id)).status).toBe(200);
    await waitFor('sector asked', () => p2.offer(req.id)?.status === 'open');
    expect((await p2.accept(req.id)).status).toBe(200);
    await p2.http('POST', `/api/effector/requests/${req.id}/outcome`, { outcome: 'seen', summary: 'Otite', prescription: 'Amoxicilline', testsRequested: '' });
    await waitFor('report to the treating doctor', () => (pTreating.state?.reports.length ?? 0) === 1);
    expect(pTreating.state!.reports[0]).toMatchObject({ patientName: 'Anatole ZÉBULON', outcome: { summary: 'Otite' } });

    // Second case: the treating doctor is unavailable for 24 h, the only other doctor declines → unanswered.
    expect((await pTreating.http('POST', '/api/effector/unavailability', { preset: '24h', placeId: null })).status).toBe(200);
    const c2 = await serverCase(ts.url, track, { treatingDoctor: { id: treating.id, name: 'Dr Jean1 MEDECIN1' } });
    const r2 = (await api('POST', '/api/effector-requests', { caseId: c2.id, need: 'visit', delay: '1H' })).json as EffectorRequest;
    expect(r2.tierLabels).toEqual(['Médecins du secteur']);
    await waitFor('offered to the sector', () => p2.offer(r2.id)?.status === 'open');
    expect(pTreating.offer(r2.id)).toBeUndefined();
    await waitFor('unanswered after the deadline', async () => ((await api('GET', '/api/effector-requests')).json as { requests: EffectorRequest[] }).requests.find((r) => r.id === r2.id)?.state === 'unanswered', 5_000);
    await waitFor('withdrawn on the page', () => p2.offer(r2.id)?.status === 'withdrawn');
  });

  it('a deadline that falls during a database outage opens the next tier once the database is back', async () => {
    const ts = track(await startTestServer('postgres', { effectorSweepMs: 250 }));
    const treating = effector(1);
    const docs = [treating, effector(2)];
    await setUpEffectors(ts.url, docs, { treatingDoctorMs: 600, tierMs: 60_000 });
    const [pTreating, p2] = (await Promise.all(docs.map(async (d) => track(await (await EffectorClient.login(ts.url, d.id)).connect())))) as [EffectorClient, EffectorClient];
    const c = await serverCase(ts.url, track, { treatingDoctor: { id: treating.id, name: 'Dr Jean1 MEDECIN1' } });
    const api = await physicianApi(ts.url);
    const req = (await api('POST', '/api/effector-requests', { caseId: c.id, need: 'visit', delay: '2H' })).json as EffectorRequest;
    await waitFor('the treating doctor has it', () => pTreating.offer(req.id)?.status === 'open');

    // The database refuses every transaction from before the deadline until 3 s after it.
    const db = ts.db as { transaction: typeof ts.db.transaction };
    const transaction = db.transaction;
    let refused = 0;
    db.transaction = (async () => {
      refused++;
      throw new Error('base injoignable (test)');
    }) as unknown as typeof transaction;
    try {
      await new Promise((r) => setTimeout(r, 3_600));
      expect(refused).toBeGreaterThan(0);
      expect(p2.offer(req.id)).toBeUndefined();
    } finally {
      db.transaction = transaction;
    }
    // Back: the overdue request is found in the database and the sector's doctor gets it.
    await waitFor('the sector has it after the outage', () => p2.offer(req.id)?.status === 'open', 5_000);
    const { rows } = await ts.db.query<{ kind: string }>('SELECT kind FROM effector_request_log WHERE tenant = $1 AND request_id = $2', [TENANT, req.id]);
    expect(rows.map((r) => r.kind)).toContain('tier_opened');
  });

  it('ten doctors accepting in the same millisecond: exactly one wins', async () => {
    const ts = track(await startTestServer('postgres'));
    const docs = Array.from({ length: 10 }, (_, i) => effector(i + 10));
    await setUpEffectors(ts.url, docs);
    const pages = await Promise.all(docs.map((d) => EffectorClient.login(ts.url, d.id)));
    const api = await physicianApi(ts.url);
    for (let round = 0; round < 3; round++) {
      const c = await serverCase(ts.url, track);
      const req = (await api('POST', '/api/effector-requests', { caseId: c.id, need: 'visit', delay: 'ASAP' })).json as EffectorRequest;
      expect(req.recipients.filter((r) => r.notifiedAt !== null)).toHaveLength(10);
      const answers = await Promise.all(pages.map((p) => p.accept(req.id)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)]);
      const views = (await api('GET', '/api/effector-requests')).json as { requests: EffectorRequest[] };
      const winner = pages[answers.findIndex((a) => a.status === 200)]!.id;
      expect(views.requests.find((r) => r.id === req.id)!.acceptedBy!.effectorId).toBe(winner);
    }
  });

  it('refuses bad input, wrong tokens and other centers', async () => {
    const ts = track(await startTestServer('postgres'));
    const docs = [effector(1), effector(2)];
    await setUpEffectors(ts.url, docs);
    const page = await EffectorClient.login(ts.url, docs[0]!.id);
    const api = await physicianApi(ts.url);

    const badLogin = await fetch(`${ts.url}/api/effector/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: TENANT, login: docs[0]!.id, password: 'wrong' }) });
    expect(badLogin.status).toBe(401);
    const otherCenter = await fetch(`${ts.url}/api/effector/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'jura', login: docs[0]!.id, password: effectorPassword(docs[0]!.id) }) });
    expect(otherCenter.status).toBe(401);

    // An effector's token opens no workstation route; a workstation token opens no effector route.
    expect((await page.http('GET', '/api/sync/pull?after=0')).status).toBe(403);
    expect((await page.http('GET', '/api/effector-requests')).status).toBe(403);
    expect((await api('GET', '/api/effector/state')).status).toBe(403);

    for (const [body, pattern] of [
      [{ caseId: 'nope', need: 'visit', delay: '2H' }, /caseId/],
      [{ caseId: '00000000-0000-7000-8000-000000000000', need: 'teleport', delay: '2H' }, /need/],
      [{ caseId: '00000000-0000-7000-8000-000000000000', need: 'visit', delay: '2H', patientName: 'x' }, /patientName/],
    ] as const) {
      const r = await api('POST', '/api/effector-requests', body);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toMatch(pattern);
    }
    expect((await api('POST', '/api/effector-requests', { caseId: '00000000-0000-7000-8000-000000000000', need: 'visit', delay: '2H' })).status).toBe(404);
    const arm = await rawLogin(ts.url, 'arm1');
    const armTry = await fetch(`${ts.url}/api/effector-requests`, { method: 'POST', headers: { authorization: `Bearer ${arm}`, 'content-type': 'application/json' }, body: '{}' });
    expect(armTry.status).toBe(403);

    expect((await page.http('POST', '/api/effector/unavailability', { preset: 'range', placeId: null, from: Date.now() + 10_000, to: Date.now() })).status).toBe(400);
    expect((await page.http('POST', '/api/effector/unavailability', { preset: '24h', placeId: 'nowhere' })).status).toBe(400);
    expect((await page.http('PUT', '/api/effector/availability', { visits: 'yes', consultations: true })).status).toBe(400);
    expect((await page.http('POST', '/api/effector/requests/not-a-uuid/accept')).status).toBe(400);
    const ok = await page.http('PUT', '/api/effector/availability', { visits: false, consultations: true });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ visits: false, consultations: true });
  });
});
