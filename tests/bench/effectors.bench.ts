/**
 * Effector benchmarks (issue 8), each next to a same-run baseline:
 *  - a request fanned out to N connected effector pages: from the regulator's send (HTTP) to the
 *    request shown on each page (frame received), p50 and p99, next to a bare WebSocket broadcast
 *    of the same payload to the same number of sockets;
 *  - slot search over a region's week (20,000 slots, 2,000 doctors) through the HTTP API, next to
 *    the raw indexed SQL query it runs.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import { luhnKey } from '../../src-shared/domain/identifiers.js';
import type { Effector } from '../../src-shared/schemas/effectors.js';
import type { Sector } from '../../src-shared/schemas/directory.js';
import { startServer } from '../../src-server/server.js';
import { TokenService } from '../../src-server/services/auth.js';
import { freshDatabase, rawLogin, TENANT, TOKEN_SECRET, waitFor } from '../fixtures/sync-harness.js';
import { median, quantile, fmt } from './stats.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

const rpps = (n: number) => {
  const body = `2000${String(n).padStart(6, '0')}`;
  return body + luhnKey(body);
};
const doctor = (n: number, sector: string): Effector => ({
  id: rpps(n),
  rpps: rpps(n),
  lastName: `Bench${n}`,
  firstName: 'Doc',
  profession: '10',
  specialty: 'SM54',
  phone: `+3361${String(n).padStart(7, '0')}`,
  sectors: [sector],
  structures: [],
  places: [{ id: 'cab', kind: 'cabinet', name: `Cabinet ${n}`, address: `${n} rue du Banc`, inseeCode: '21231' }],
  participation: { cascade: true, agenda: true, onCallRota: false, surnombre: false, visits: true, consultations: true },
});

async function put(url: string, token: string, path: string, body: unknown, method = 'PUT') {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function connectAll(urls: (string | { url: string; token: string })[], onMessage: (i: number, data: string) => void): Promise<WebSocket[]> {
  return Promise.all(
    urls.map(
      (u, i) =>
        new Promise<WebSocket>((ok, fail) => {
          const ws = typeof u === 'string' ? new WebSocket(u) : new WebSocket(u.url, { headers: { authorization: `Bearer ${u.token}` } });
          ws.on('message', (d) => onMessage(i, d.toString()));
          ws.once('open', () => ok(ws));
          ws.once('error', fail);
        }),
    ),
  );
}

export async function benchFanout(pages: number): Promise<{ p50: number; p99: number; received: number; bareP50: number; bareP99: number }> {
  const { db, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  const sockets: WebSocket[] = [];
  try {
    const admin = await rawLogin(server.url, 'admin1');
    const sectors: Sector[] = [{ code: 'S1', name: 'Dijon', communes: ['21231'] }];
    const doctors = Array.from({ length: pages }, (_, i) => doctor(i, 'S1'));
    await put(server.url, admin, '/api/directory', { kind: 'sectors', rows: sectors });
    await put(server.url, admin, '/api/directory', { kind: 'effectors', rows: doctors });
    // Accounts, sessions and tokens are made here (an effector login hashes a password: 2,000 of
    // them would time the hash, and the login limits would rightly slow them down).
    await db.query("INSERT INTO effector_accounts (tenant, effector_id, password_hash) SELECT $1, unnest($2::text[]), 'not-a-hash'", [TENANT, doctors.map((d) => d.id)]);
    const tokens = new TokenService(TOKEN_SECRET, 3600);
    const urls = await Promise.all(
      doctors.map(async (d) => {
        const session = await server.sessions.open({ tenant: TENANT, principal: `effector:${d.id}`, kind: 'effector', workstation: 'effector-page', address: null, method: 'password' });
        const { token } = await tokens.issue('effector', { userId: `effector:${d.id}`, tenant: TENANT, role: 'effector', displayName: d.lastName, workstationId: 'effector-page', sessionId: session.id });
        return { url: `${server.url.replace('http', 'ws')}/api/effector/ws`, token };
      }),
    );
    let t0 = 0;
    // Frames may arrive before the HTTP answer names the request: keep them, match them after.
    const offers: { at: number; data: string }[] = [];
    let states = 0;
    sockets.push(
      ...(await connectAll(urls, (_i, data) => {
        if (data.startsWith('{"type":"state"')) states += 1;
        else if (data.startsWith('{"type":"offer"')) offers.push({ at: performance.now() - t0, data });
      })),
    );
    await waitFor('every page has its first state', () => states >= pages, 120_000);

    // The regulator's case, then the send.
    const dr = await rawLogin(server.url, 'dr1');
    const caseId = randomUUID();
    await put(server.url, dr, '/api/sync/push', { mutations: [{ id: caseId, caseId, command: { type: 'open', line: '116117', fields: { location: { inseeCode: '21231', communeName: 'Dijon', sectorId: 'S1' }, reasonCode: 'FEVER' } }, clientTime: Date.now(), localSeq: 1 }] }, 'POST');
    t0 = performance.now();
    const sent = (await put(server.url, dr, '/api/effector-requests', { caseId, need: 'visit', delay: '1H' }, 'POST')) as { id: string };
    const mine = () => offers.filter((o) => o.data.includes(sent.id));
    await waitFor('every page shows the request', () => mine().length >= pages, 60_000).catch(() => {});
    const real = mine().map((o) => o.at).sort((a, b) => a - b);
    for (const s of sockets) s.terminate();
    sockets.length = 0;

    // Baseline: a bare WebSocket server broadcasting one frame of the same size to as many sockets.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((ok) => wss.once('listening', ok));
    const port = (wss.address() as { port: number }).port;
    const bare: number[] = [];
    let b0 = 0;
    const payload = JSON.stringify({ type: 'offer', offer: { id: randomUUID(), need: 'visit', delay: '1H', ageBand: 'inconnu', sex: 'U', reason: 'Fièvre', communeName: 'Dijon', inseeCode: '21231', sentAt: Date.now(), asTreatingDoctor: false, status: 'open', appointment: null } });
    sockets.push(...(await connectAll(Array.from({ length: pages }, () => `ws://127.0.0.1:${port}`), () => bare.push(performance.now() - b0))));
    await waitFor('bare server sees every socket', () => wss.clients.size >= pages, 60_000);
    b0 = performance.now();
    for (const c of wss.clients) c.send(payload);
    await waitFor('bare broadcast received', () => bare.length >= pages, 60_000);
    for (const s of sockets) s.terminate();
    sockets.length = 0;
    await new Promise((ok) => wss.close(ok));
    bare.sort((a, b) => a - b);
    return { p50: real.length ? median(real) : NaN, p99: real.length ? quantile(real, 0.99) : NaN, received: real.length, bareP50: median(bare), bareP99: quantile(bare, 0.99) };
  } finally {
    for (const s of sockets) s.terminate();
    await server.close();
    await db.close();
    await drop();
  }
}

export async function benchSlotSearch(doctorsCount: number, slotsPerDoctor: number): Promise<{ search: number; raw: number; results: number; slots: number }> {
  const { db, drop } = await freshDatabase('postgres');
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent' });
  try {
    const admin = await rawLogin(server.url, 'admin1');
    // 20 sectors in a chain (each adjacent to the next), doctors spread over them.
    const sectors: Sector[] = Array.from({ length: 20 }, (_, i) => ({
      code: `S${i + 1}`,
      name: `Secteur ${i + 1}`,
      communes: [`21${String(i + 1).padStart(3, '0')}`],
      adjacent: [i > 0 ? `S${i}` : null, i < 19 ? `S${i + 2}` : null].filter((x): x is string => x !== null),
    }));
    const doctors = Array.from({ length: doctorsCount }, (_, i) => doctor(i, `S${(i % 20) + 1}`));
    await put(server.url, admin, '/api/directory', { kind: 'sectors', rows: sectors });
    await put(server.url, admin, '/api/directory', { kind: 'effectors', rows: doctors });
    // A week of slots, written straight into the table as publishing would.
    const now = Date.now();
    const ids: string[] = [];
    const effectorIds: string[] = [];
    const starts: number[] = [];
    const sectorsOf: string[] = [];
    for (const [i, d] of doctors.entries()) {
      for (let k = 0; k < slotsPerDoctor; k++) {
        ids.push(randomUUID());
        effectorIds.push(d.id);
        starts.push(now + Math.floor(((k * 7 + (i % 7)) / (slotsPerDoctor * 7)) * 7 * 24 * 3600_000) + 3600_000);
        sectorsOf.push(d.sectors[0]!);
      }
    }
    await db.query(
      `INSERT INTO slots (tenant, id, series, effector_id, kind, start_at, end_at, capacity, modality, place_id, sectors, visibility, cpts, created_at, created_by)
       SELECT $1, id, id, e, 'range', s, s + 7200000, 4, 'cabinet', 'cab', ARRAY[sec], 'pro', '{}', $2, 'bench' FROM unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[]) AS x(id, e, s, sec)`,
      [TENANT, now, ids, effectorIds, starts, sectorsOf],
    );
    await db.query('ANALYZE slots');
    const dr = await rawLogin(server.url, 'dr1');
    const query = { sectorCode: 'S7', window: '48h', limit: 30, modality: 'cabinet' };
    const search = async (seed: number) => {
      const res = await fetch(`${server.url}/api/agenda/search`, { method: 'POST', headers: { authorization: `Bearer ${dr}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...query, seed: String(seed) }) });
      return ((await res.json()) as { slots: unknown[] }).slots.length;
    };
    // The same query as the search runs, alone (no HTTP, directory, availability or JSON).
    const raw = () =>
      db.query(
        `SELECT * FROM (
           SELECT x.*, (SELECT count(*) FROM slot_bookings b WHERE b.tenant = x.tenant AND b.slot_id = x.id
               AND (b.state IN ('booked', 'fulfilled', 'no_show') OR (b.state = 'held' AND b.held_until > $4))) AS taken FROM (
             SELECT s.*, CASE WHEN s.sectors && ARRAY['S7'] THEN 0 WHEN s.sectors && ARRAY['S6', 'S8'] THEN 1 ELSE 2 END AS nearness, hashtext(s.id::text || '1') AS h
               FROM slots s WHERE s.tenant = $1 AND NOT s.cancelled AND s.start_at < $3 AND s.end_at > $2 AND s.end_at > $4 AND s.modality = 'cabinet'
              ORDER BY nearness, h, s.start_at LIMIT 120) x) y
          WHERE y.taken < y.capacity ORDER BY nearness, h, start_at`,
        [TENANT, Date.now(), Date.now() + 48 * 3600_000, Date.now()],
      );
    let results = 0;
    for (let i = 0; i < 5; i++) {
      results = await search(i);
      await raw();
    }
    const tSearch: number[] = [];
    const tRaw: number[] = [];
    for (let i = 0; i < 40; i++) {
      let t = performance.now();
      await search(i);
      tSearch.push(performance.now() - t);
      t = performance.now();
      await raw();
      tRaw.push(performance.now() - t);
    }
    return { search: median(tSearch), raw: median(tRaw), results, slots: ids.length };
  } finally {
    await server.close();
    await db.close();
    await drop();
  }
}

export async function benchEffectors({ smoke }: { smoke: boolean }): Promise<SectionResult> {
  const pages = smoke ? 100 : 2_000;
  console.log(`\n# Effectors: a request fanned out to ${pages.toLocaleString('fr-FR')} connected effector pages`);
  console.log('| pages | shown on | p50 | p99 | bare WebSocket broadcast p50 / p99 | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const f = await benchFanout(pages);
  const fanCorrect = f.received === pages;
  const fanMet = f.p99 <= 200;
  console.log(`| ${pages} | ${f.received} | ${fmt(f.p50)} | ${fmt(f.p99)} | ${fmt(f.bareP50)} / ${fmt(f.bareP99)} | p99 ≤ 200 ms | ${verdictText(fanMet, smoke, fanCorrect)} |`);

  const [docs, per] = smoke ? [200, 10] : [2_000, 10];
  console.log(`\n# Effectors: slot search over a week (${(docs * per).toLocaleString('fr-FR')} slots, ${docs.toLocaleString('fr-FR')} doctors)`);
  console.log('| search (HTTP, median) | raw indexed SQL (median) | results | target | verdict |');
  console.log('| --- | --- | --- | --- | --- |');
  const s = await benchSlotSearch(docs, per);
  const searchCorrect = s.results > 0;
  const searchMet = s.search <= 20;
  console.log(`| ${fmt(s.search)} | ${fmt(s.raw)} | ${s.results} | ≤ 20 ms median | ${verdictText(searchMet, smoke, searchCorrect)} |`);
  return passed(fanCorrect && searchCorrect, fanMet && searchMet);
}
