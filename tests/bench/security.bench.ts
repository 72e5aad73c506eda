/**
 * What access control costs on the hot path, next to same-run baselines (PostgreSQL on 127.0.0.1):
 *   - a case's log read through the API (token, session, route rule, access audit record) next to
 *     the same read through the same server without them (no token, no audit): ≤ 1.2× at the median;
 *   - the writer's accepted mutations/s while reads are audited, next to the same load with bare
 *     reads: not more than 10 % slower;
 *   - a legitimate login's p95 during a flood of 1,000 bad attempts from other addresses, next to
 *     its p95 without the flood: ≤ 2×.
 * Correctness: every audited read has its record, every mutation its verdict.
 */
import { randomUUID } from 'node:crypto';
import { startServer } from '../../src-server/server.js';
import { eventFromRow, type EventRow } from '../../src-server/services/event-rows.js';
import { freshDatabase, rawLogin, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { fmt, median, quantile } from './stats.js';
import { passed, verdictText, type SectionResult } from './verdict.js';

export async function benchSecurity(options: { smoke: boolean }): Promise<SectionResult> {
  const reads = options.smoke ? 300 : 3_000;
  const mutations = options.smoke ? 2_000 : 20_000;
  const flood = options.smoke ? 200 : 1_000;
  const { db, drop } = await freshDatabase('postgres');
  // Clients come through a proxy on loopback that says who they are (X-Forwarded-For).
  // The baseline is the same read through the same server (its HTTP stack, logger and hooks),
  // on a route that checks no token and writes no audit record: what the check and the audit cost.
  const server = await startServer({
    db,
    tokenSecret: TOKEN_SECRET,
    logLevel: 'silent',
    trustProxy: '127.0.0.1',
    extraRoutes: (app) =>
      app.get<{ Params: { id: string } }>('/bench/bare/cases/:id/events', { config: { access: { public: 'benchmark baseline' } } }, async (req) => {
        const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE tenant = $1 AND case_id = $2 ORDER BY seq', [TENANT, req.params.id], 'case-events');
        return { events: rows.map(eventFromRow) };
      }),
  });
  let correct = true;
  try {
    const token = await rawLogin(server.url, 'dr1');
    const auth = { authorization: `Bearer ${token}` };
    // A case with a realistic log: opened, screened, sent, taken, noted.
    const caseId = randomUUID();
    const push = (ms: unknown[]) =>
      fetch(`${server.url}/api/sync/push`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ mutations: ms }) }).then((r) => r.json() as Promise<{ verdicts: { status: string }[] }>);
    await push([
      { id: randomUUID(), caseId, command: { type: 'open', line: '116117', fields: { patient: { lastName: 'Bench', firstName: 'Anne' }, reasonText: 'fièvre' } }, clientTime: Date.now(), localSeq: 1 },
      ...Array.from({ length: 8 }, (_, i) => ({ id: randomUUID(), caseId, command: { type: 'add_note', text: `note ${i}` }, clientTime: Date.now(), localSeq: i + 2 })),
    ]);

    // 1. A case read with its check and audit record, next to the bare read (alternated).
    const audited = () => fetch(`${server.url}/api/cases/${caseId}/events`, { headers: auth }).then((r) => r.arrayBuffer());
    const plain = () => fetch(`${server.url}/bench/bare/cases/${caseId}/events`).then((r) => r.arrayBuffer());
    for (let i = 0; i < 50; i++) await Promise.all([audited(), plain()]);
    const before = Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM access_audit WHERE action = 'case.history'")).rows[0]!.n);
    const tA: number[] = [];
    const tB: number[] = [];
    for (let i = 0; i < reads; i++) {
      let t = performance.now();
      await audited();
      tA.push(performance.now() - t);
      t = performance.now();
      await plain();
      tB.push(performance.now() - t);
    }
    const after = Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM access_audit WHERE action = 'case.history'")).rows[0]!.n);
    if (after - before !== reads) correct = false;
    const readRatio = median(tA) / median(tB);

    // 2. The writer's throughput while cases are read at a busy center's pace (500 reads/s: a
    //    hundred workstations opening a case every 200 ms), audited, next to the same reads bare.
    const READS_PER_SECOND = 500;
    const writeRate = async (read: () => Promise<unknown>) => {
      let stop = false;
      const readers = Array.from({ length: 5 }, async () => {
        while (!stop) {
          const t = performance.now();
          await read();
          await new Promise((r) => setTimeout(r, Math.max(0, (5 * 1000) / READS_PER_SECOND - (performance.now() - t))));
        }
      });
      const t = performance.now();
      let accepted = 0;
      const batches = Array.from({ length: mutations / 100 }, () =>
        Array.from({ length: 100 }, () => {
          const id = randomUUID();
          return { id, caseId: id, command: { type: 'open', line: '116117' }, clientTime: Date.now(), localSeq: 1 };
        }),
      );
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let b = w; b < batches.length; b += 4) {
            const n = (await push(batches[b]!)).verdicts.filter((v) => v.status === 'accepted').length;
            accepted += n;
          }
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      stop = true;
      await Promise.all(readers);
      if (accepted !== mutations) {
        correct = false;
        console.log(`  ${accepted} of ${mutations} mutations accepted`);
      }
      return mutations / seconds;
    };
    // Alternated, three times each: the log grows as it goes; the best of each is kept.
    let bestBare = 0;
    let auditedRate = 0;
    for (let round = 0; round < 3; round++) {
      bestBare = Math.max(bestBare, await writeRate(plain));
      auditedRate = Math.max(auditedRate, await writeRate(audited));
    }
    const writeRatio = auditedRate / bestBare;

    // 3. A legitimate login's p95, without then with a flood of bad attempts from other addresses.
    const login = (from: string, who: string, password: string) =>
      fetch(`${server.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
        body: JSON.stringify({ tenant: TENANT, login: who, password, workstationId: 'bench' }),
      }).then((r) => r.status);
    const legit = async (n: number) => {
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const status = await login('10.1.0.1', 'sup1', 'sup1-password');
        if (status !== 200) {
          correct = false;
          console.log(`  a legitimate login answered ${status}`);
        }
        t.push(performance.now() - s);
      }
      return t;
    };
    // Warmed up first (the first checks pay for compiling and for the password hash's memory),
    // then enough quiet logins for a p95 that one slow login does not make.
    await legit(10);
    const quiet = await legit(options.smoke ? 40 : 100);
    let floodDone = 0;
    const flooding = (async () => {
      // 20 attackers at a time, each attempt from its own address, on accounts of the center and others.
      for (let i = 0; i < flood; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, k) => login(`172.16.${(i + k) >> 8}.${(i + k) & 255}`, k % 2 ? `dr${1 + (k % 12)}` : `ghost${i + k}`, 'wrong-password')));
        floodDone += 20;
      }
    })();
    const loud: number[] = [];
    while (floodDone < flood) loud.push(...(await legit(1)));
    await flooding;
    const quietP95 = quantile(quiet, 0.95);
    const loudP95 = quantile(loud, 0.95);
    const loginRatio = loudP95 / quietP95;

    const metRead = readRatio <= 1.2;
    const metWrite = writeRatio >= 0.9;
    const metLogin = loginRatio <= 2;
    console.log(`\n# Security on the hot path (${reads} reads, ${mutations.toLocaleString('en')} mutations, ${flood} bad logins)`);
    console.log('| measure | value | baseline (same run) | ratio | target | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(`| case log read: token, session, rule, audit record (median) | ${fmt(median(tA))} | ${fmt(median(tB))} bare route | ${readRatio.toFixed(2)}× | ≤ 1.2× | ${verdictText(metRead, options.smoke, correct)} |`);
    console.log(`| accepted mutations/s with ${READS_PER_SECOND} audited reads/s alongside | ${auditedRate.toFixed(0)}/s | ${bestBare.toFixed(0)}/s with bare reads | ${(writeRatio * 100).toFixed(0)} % | ≥ 90 % | ${verdictText(metWrite, options.smoke, correct)} |`);
    console.log(`| legitimate login p95 during ${flood} bad attempts (${loud.length} logins) | ${fmt(loudP95)} | ${fmt(quietP95)} without flood | ${loginRatio.toFixed(2)}× | ≤ 2× | ${verdictText(metLogin, options.smoke, correct)} |`);
    console.log(`  check: ${after - before} audit records for ${reads} audited reads; every mutation accepted once`);
    return passed(correct, metRead && metWrite && metLogin);
  } finally {
    await server.close();
    await db.close();
    await drop();
  }
}
