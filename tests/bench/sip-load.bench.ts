/**
 * Softphone under load (issue 4): scripted patients (sip.js in Node, plain RTP through rtpengine)
 * call a room of agents, each a real workstation in Chromium with auto-answer, against the
 * project's Kamailio and a central server. A small dispatcher plays the ACD: each call goes to an
 * agent who is free. Checked: no call lost (each one answered, talked, hung up) and every call
 * record complete in the center's call log and in a case.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { startServer } from '../../src-server/server.js';
import { sipHa1 } from '../../src-server/services/auth.js';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { freshDatabase, SIP_WS_URL, TENANT, TOKEN_SECRET } from '../fixtures/sync-harness.js';
import { ScriptedPhone, type ScriptedCall } from '../fixtures/patient-caller.js';
import { openStation, STATIC, type Station } from '../e2e/site.js';
import { median, quantile } from './stats.js';
import { passed, rendererMissing, verdictText, type SectionResult } from './verdict.js';

const AUTO_ANSWER_MS = 1_000;

async function agentPage(browser: Browser, station: Station, login: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  // An ARM on a headset: auto-answer on (the desk's setting, as the UI stores it).
  await context.addInitScript(() => localStorage.setItem('permanence.audio', JSON.stringify({ autoAnswer: true })));
  const page = await context.newPage();
  await page.goto(station.host.launchUrl());
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe').fill(`${login}-password`);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Téléphone prêt' }).waitFor({ timeout: 20_000 });
  return page;
}

export async function benchSipLoad(options: { smoke: boolean }): Promise<SectionResult> {
  const missing = rendererMissing('The 116117 line', STATIC);
  if (missing) return missing;
  const agents = options.smoke ? 3 : 10;
  const callers = options.smoke ? 6 : 50;
  const talkMs = options.smoke ? 1_500 : 3_000;
  const gapMs = options.smoke ? 400 : 350;
  const { db, drop } = await freshDatabase('postgres');
  // The physicians dr1..drN of the test center take the agent accounts agent01..agentNN.
  for (let i = 1; i <= agents; i++) {
    const n = String(i).padStart(2, '0');
    await db.query('UPDATE users SET sip_username = $1, sip_ha1 = $2 WHERE tenant = $3 AND login = $4', [`agent${n}`, sipHa1(`agent${n}`, '127.0.0.1', `agent${n}pass`), TENANT, `dr${i}`]);
  }
  const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1_000 });
  const stations: Station[] = [];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const trunk = await ScriptedPhone.trunk(SIP_WS_URL);
  try {
    for (let i = 0; i < agents; i++) stations.push(await openStation(server.url));
    await Promise.all(stations.map((s, i) => agentPage(browser, s, `dr${i + 1}`)));

    // The ACD: calls wait in line and go, in order, to whichever agent is free.
    const free = Array.from({ length: agents }, (_, i) => `agent${String(i + 1).padStart(2, '0')}`);
    const results: { setupMs: number | null; rtp: number; error?: string }[] = [];
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let c = 0; c < callers; c++) {
      while (free.length === 0) await new Promise((r) => setTimeout(r, 20));
      const agent = free.shift()!;
      const from = `06${String(10_000_000 + c).padStart(8, '0')}`;
      pending.push(
        (async () => {
          let call: ScriptedCall | null = null;
          try {
            call = await trunk.call({ from, to: agent });
            const setupMs = await call.answered;
            await new Promise((r) => setTimeout(r, talkMs));
            const rtp = call.rtp().received;
            await call.hangUp();
            results.push({ setupMs: setupMs - AUTO_ANSWER_MS, rtp });
          } catch (error) {
            results.push({ setupMs: null, rtp: call?.rtp().received ?? 0, error: (error as Error).message });
          } finally {
            // The agent's wrap-up: the next call after a short pause.
            setTimeout(() => free.push(agent), 300);
          }
        })(),
      );
      await new Promise((r) => setTimeout(r, gapMs));
    }
    await Promise.all(pending);
    const seconds = (performance.now() - t0) / 1000;

    // Every phone's reports reach the center's call log; every call is in a case.
    const end = Date.now() + 20_000;
    let rows: { n: number; complete: number; inCase: number }[] = [];
    for (;;) {
      ({ rows } = await db.query<{ n: number; complete: number; inCase: number }>(
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE status = 'ended' AND answered_at IS NOT NULL AND ended_at IS NOT NULL AND data::jsonb->'answeredBy' IS NOT NULL AND data::jsonb->>'endReason' IS NOT NULL)::int AS complete,
                count(*) FILTER (WHERE case_id IS NOT NULL)::int AS "inCase"
           FROM calls WHERE tenant = $1 AND call_id NOT LIKE 'seed-%'`,
        [TENANT],
      ));
      if ((rows[0]!.complete === callers && rows[0]!.inCase === callers) || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const { rows: cases } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cases WHERE tenant = $1 AND jsonb_array_length(coalesce(data::jsonb->'calls', '[]'::jsonb)) = 1`,
      [TENANT],
    );
    const lost = results.filter((r) => r.setupMs === null || r.rtp === 0).length;
    const setups = results.filter((r) => r.setupMs !== null).map((r) => r.setupMs!);
    const r = rows[0]!;
    const ok = lost === 0 && r.n === callers && r.complete === callers && r.inCase === callers && cases[0]!.n === callers;
    console.log(`\n# Softphone under load: ${callers} scripted callers (plain RTP via rtpengine) against ${agents} agents in Chromium, auto-answer`);
    console.log('| calls | lost (unanswered or no audio) | records in the call log | complete | linked to a case | cases with their call | INVITE → answered, minus the 1 s ring (p50 / p95) | duration | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${callers} | ${lost} | ${r.n} | ${r.complete} | ${r.inCase} | ${cases[0]!.n} | ${setups.length ? `${median(setups).toFixed(0)} / ${quantile(setups, 0.95).toFixed(0)} ms` : '—'} | ${seconds.toFixed(1)} s | ${verdictText(true, options.smoke, ok)} |`,
    );
    for (const e of results.filter((x) => x.error).slice(0, 5)) console.log(`  lost: ${e.error}`);
    const stuck = stations.map((st) => ({ pending: st.core.store.countPendingCallReports(), error: st.core.syncStatus().lastError })).filter((x) => x.pending > 0);
    if (stuck.length) console.log(`  call reports still on workstations: ${JSON.stringify(stuck)}`);
    // Every call answered, with audio, in the log and in its case: a correctness check, smoke run included.
    return passed(ok, true);
  } finally {
    await trunk.stop().catch(() => {});
    await browser.close().catch(() => {});
    for (const s of stations) await s.close().catch(() => {});
    await server.close();
    await db.close();
    await drop();
  }
}
