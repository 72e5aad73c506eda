/**
 * The shared agenda through the real server: an effector publishes from their page, partners see
 * what their organisation was granted, two bookers race for the last place (one wins, the other is
 * told at once), holds expire, identities stay with the effector, the regulation and the booker,
 * surnombre is counted apart, and the offer's figures add up.
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import type { Booking, OfferFigures, Slot } from '../../../src-shared/schemas/slots.js';
import { rawLogin, startTestServer, type TestServer } from '../../fixtures/sync-harness.js';
import { effector } from '../../fixtures/effectors.js';
import { EffectorClient, setUpEffectors } from '../../fixtures/effector-center.js';

const { track } = closeAfterEach();

async function userApi(ts: TestServer, login: string) {
  const token = await rawLogin(ts.url, login);
  return async <T = unknown>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ts.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null) as T, text };
  };
}

async function partners(ts: TestServer) {
  const admin = await userApi(ts, 'admin1');
  for (const org of [
    { id: 'sas-21', name: 'SAS Côte-d’Or', kind: 'samu_sas', sees: ['public', 'pro', 'snp'], cpts: [], canBook: true },
    { id: 'urg-chu', name: 'Urgences CHU Dijon', kind: 'emergency_department', sees: ['public'], cpts: [], canBook: true },
    { id: 'telesec', name: 'Télésecrétariat', kind: 'tele_secretariat', sees: ['public', 'pro'], cpts: [], canBook: false },
  ]) expect((await admin('PUT', '/api/admin/organisations', org)).status).toBe(200);
  for (const [login, org] of [['dr11', 'sas-21'], ['dr12', 'urg-chu'], ['arm3', 'telesec']]) expect((await admin('PUT', `/api/admin/users/${login}/organisation`, { organisationId: org })).status).toBe(200);
  return { sas: await userApi(ts, 'dr11'), ed: await userApi(ts, 'dr12'), telesec: await userApi(ts, 'arm3'), regulation: await userApi(ts, 'dr1'), supervisor: await userApi(ts, 'sup1') };
}

const patient = { name: 'Capucine LEGRAND', phone: '+33611111111', birthDate: '1990-05-06' };

describe('shared agenda', () => {
  it('publish, see per organisation, race for the last place, identities, holds, surnombre, figures', async () => {
    const ts = track(await startTestServer('postgres'));
    const a = effector(1, { participation: { surnombre: true } });
    const b = effector(2, { sectors: ['S2'] });
    await setUpEffectors(ts.url, [a, b]);
    const { sas, ed, telesec, regulation, supervisor } = await partners(ts);
    const pageA = track(await (await EffectorClient.login(ts.url, a.id)).connect());

    const start = Date.now() + 3600_000;
    // A range of 2 places for professionals, and a public single slot; then bad input.
    const range = await pageA.http('POST', '/api/effector/slots', { kind: 'range', start, end: start + 2 * 3600_000, capacity: 2, modality: 'cabinet', placeId: 'cab', visibility: 'pro', cpts: [], repeatWeeks: 1 });
    expect(range.status).toBe(200);
    expect((range.json as { slots: Slot[] }).slots).toHaveLength(2);
    expect((await pageA.http('POST', '/api/effector/slots', { kind: 'single', start, end: start + 900_000, capacity: 1, modality: 'cabinet', placeId: 'cab', visibility: 'public', cpts: [], repeatWeeks: 0 })).status).toBe(200);
    for (const [bad, why] of [
      [{ kind: 'single', start: Date.now() - 86_400_000, end: Date.now() - 86_000_000, capacity: 1, modality: 'cabinet', placeId: 'cab', visibility: 'public', cpts: [], repeatWeeks: 0 }, /passé/],
      [{ kind: 'single', start, end: start + 900_000, capacity: 1, modality: 'cabinet', placeId: 'ailleurs', visibility: 'public', cpts: [], repeatWeeks: 0 }, /Lieu inconnu/],
      [{ kind: 'range', start, end: start - 1, capacity: 3, modality: 'cabinet', placeId: 'cab', visibility: 'public', cpts: [], repeatWeeks: 0 }, /fin doit suivre/],
      [{ kind: 'single', start, end: start + 900_000, capacity: 1, modality: 'cabinet', placeId: 'cab', visibility: 'cpts', cpts: ['210780581'], repeatWeeks: 0 }, /CPTS inconnues/],
    ] as const) {
      const r = await pageA.http('POST', '/api/effector/slots', bad);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toMatch(why);
    }
    // Pushed to the effector's page over its socket: on a loaded machine, more than the default second.
    await expect.poll(() => pageA.state?.slots.length, { timeout: 10_000 }).toBe(3);

    // The SAS sees both (pro + public) in the window, nearest first; the ED only the public one.
    const q = { inseeCode: '21231', window: '24h', limit: 30 };
    const sasSees = (await sas<{ slots: Slot[] }>('POST', '/api/agenda/search', q)).json.slots;
    expect(sasSees.map((s) => s.kind).sort()).toEqual(['range', 'single']);
    expect(sasSees.every((s) => s.nearness === 0)).toBe(true);
    const edSees = (await ed<{ slots: Slot[] }>('POST', '/api/agenda/search', q)).json.slots;
    expect(edSees.map((s) => s.visibility)).toEqual(['public']);
    const rangeSlot = sasSees.find((s) => s.kind === 'range')!;
    expect((await ed('POST', '/api/agenda/holds', { slotId: rangeSlot.id })).status).toBe(404);
    expect((await telesec('POST', '/api/agenda/holds', { slotId: edSees[0]!.id })).status).toBe(403);

    // One place taken by the regulation; then the SAS and the ED... race for the last one (ED cannot see it: SAS and regulation race).
    const first = await regulation<Booking>('POST', '/api/agenda/holds', { slotId: rangeSlot.id });
    expect(first.status).toBe(200);
    expect((await regulation('POST', `/api/agenda/bookings/${first.json.id}/confirm`, { caseId: null, reason: 'Otalgie', delay: '4H', patient })).status).toBe(200);
    const race = await Promise.all([sas<Booking>('POST', '/api/agenda/holds', { slotId: rangeSlot.id }), regulation<Booking>('POST', '/api/agenda/holds', { slotId: rangeSlot.id })]);
    expect(race.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = race.find((r) => r.status === 409)!;
    expect(loser.text).toContain('Plus de place');
    const winner = race.find((r) => r.status === 200)!;
    // An expired hold cannot be confirmed (server clock moved by waiting would be slow: move the hold instead).
    await ts.db.query('UPDATE slot_bookings SET held_until = $2 WHERE id = $1', [winner.json.id, Date.now() - 1]);
    const late = await (winner === race[0] ? sas : regulation)('POST', `/api/agenda/bookings/${winner.json.id}/confirm`, { caseId: null, reason: 'Toux', delay: '4H', patient: { ...patient, name: 'Bastien ROUX' } });
    expect(late.status).toBe(409);
    expect(late.text).toContain('expiré');
    // The place is free again: the SAS books it, and the effector's page shows it live, with the patient.
    const again = await sas<Booking>('POST', '/api/agenda/holds', { slotId: rangeSlot.id });
    expect(again.status).toBe(200);
    expect((await sas('POST', `/api/agenda/bookings/${again.json.id}/confirm`, { caseId: null, reason: 'Toux', delay: '4H', patient: { ...patient, name: 'Bastien ROUX' } })).status).toBe(200);
    await expect.poll(() => pageA.state?.bookings.map((x) => x.patient?.name).sort(), { timeout: 10_000 }).toEqual(['Bastien ROUX', 'Capucine LEGRAND']);
    expect((await sas<{ slots: Slot[] }>('POST', '/api/agenda/search', q)).json.slots.some((s) => s.id === rangeSlot.id)).toBe(false);

    // Identities: the SAS sees its own booking's patient, not the regulation's; the regulation sees both.
    const sasList = (await sas<{ bookings: Booking[] }>('GET', '/api/agenda/bookings')).json.bookings;
    expect(sasList.map((x) => x.patient?.name)).toEqual(['Bastien ROUX']);
    const regList = (await regulation<{ bookings: Booking[] }>('GET', '/api/agenda/bookings')).json.bookings;
    expect(regList.filter((x) => x.state === 'booked').map((x) => x.patient?.name).sort()).toEqual(['Bastien ROUX', 'Capucine LEGRAND']);
    const edList = await ed('GET', '/api/agenda/bookings');
    expect(edList.text).not.toContain('LEGRAND');
    expect(edList.text).not.toContain('ROUX');

    // Surnombre: only with a doctor who accepts it; counted apart.
    const sur = await regulation<Booking>('POST', '/api/agenda/surnombre', { effectorId: a.id, at: start + 3 * 3600_000, caseId: null, reason: 'Fièvre', delay: '12H', patient });
    expect(sur.status).toBe(200);
    expect(sur.json).toMatchObject({ surnombre: true, slotId: null, state: 'booked' });
    expect((await regulation('POST', '/api/agenda/surnombre', { effectorId: b.id, at: start, caseId: null, reason: 'Fièvre', delay: '12H', patient })).status).toBe(409);

    // The effector says the first patient came, the second did not; the booker cannot say it.
    expect((await regulation('POST', `/api/agenda/bookings/${first.json.id}/state`, { state: 'fulfilled' })).status).toBe(403);
    expect((await pageA.http('POST', `/api/effector/bookings/${first.json.id}/state`, { state: 'fulfilled' })).status).toBe(200);
    expect((await pageA.http('POST', `/api/effector/bookings/${again.json.id}/state`, { state: 'no_show' })).status).toBe(200);
    expect((await pageA.http('POST', `/api/effector/bookings/${again.json.id}/state`, { state: 'fulfilled' })).status).toBe(409);

    // Figures of the offer (supervisors only).
    const day = new Date().toISOString().slice(0, 10);
    const in8 = new Date(Date.now() + 8 * 86_400_000).toISOString().slice(0, 10);
    expect((await sas('GET', `/api/agenda/offer?from=${day}&to=${in8}`)).status).toBe(403);
    const offer = (await supervisor<OfferFigures>('GET', `/api/agenda/offer?from=${day}&to=${in8}`)).json;
    const docA = offer.perDoctor.find((d) => d.effectorId === a.id)!;
    expect(docA).toMatchObject({ slotsPublished: 3, booked: 3, fulfilled: 1, noShow: 1, surnombre: 1 });
    expect(docA.meetsSasThreshold).toBe(true);
    expect(offer.heatmap.flat().reduce((x, y) => x + y, 0)).toBeCloseTo(4.25, 5);
    expect(offer.sectorsWithoutSlotNext24h).toEqual(expect.arrayContaining(['S2', 'S3']));
    expect(offer.sectorsWithoutSlotNext24h).not.toContain('S1');
    expect(offer.incentives.find((i) => i.effectorId === a.id)).toMatchObject({ acts: 1, paid: 1, amountCents: 1500 });
    const month = new Date(start).toISOString().slice(0, 7);
    const csv = await supervisor('GET', `/api/reports/effector-incentives.csv?month=${month}`);
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(`${a.id};Dr Jean1 MEDECIN1;1;1;0;0;0;15,00`);

    // Another center sees nothing of this one's agenda.
    const jura = await fetch(`${ts.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'jura', login: 'jarm1', password: 'jarm1-password', workstationId: 'w-jura' }) });
    const juraToken = ((await jura.json()) as { token: string }).token;
    const juraSearch = await fetch(`${ts.url}/api/agenda/search`, { method: 'POST', headers: { authorization: `Bearer ${juraToken}`, 'content-type': 'application/json' }, body: JSON.stringify(q) });
    expect(((await juraSearch.json()) as { slots: Slot[] }).slots).toEqual([]);
    const juraBookings = await fetch(`${ts.url}/api/agenda/bookings`, { headers: { authorization: `Bearer ${juraToken}` } });
    expect(((await juraBookings.json()) as { bookings: Booking[] }).bookings).toEqual([]);
    const juraHold = await fetch(`${ts.url}/api/agenda/holds`, { method: 'POST', headers: { authorization: `Bearer ${juraToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ slotId: rangeSlot.id }) });
    expect(juraHold.status).toBe(404);

    // The trace of the agenda is append-only.
    const { rows } = await ts.db.query<{ kind: string }>('SELECT kind FROM agenda_log ORDER BY at');
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['published', 'held', 'booked', 'surnombre', 'fulfilled', 'no_show']));
    await expect(ts.db.query('UPDATE agenda_log SET kind = $1', ['x'])).rejects.toThrow(/append-only/);
  });
});
