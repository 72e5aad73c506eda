/// <reference lib="dom" />
/**
 * Softphone benchmark (issue 4), in Chromium against the project's Kamailio: INVITE received →
 * incoming call on screen, and answer click → first audio packet received, for the workstation
 * and, in the same run, for a bare sip.js page (the baseline). A patient's phone (a standalone
 * workstation registered as 0612345678) places the calls. Target: the workstation adds ≤ 20 ms.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Page } from '@playwright/test';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { startWebHost } from '../../src-main/web-host/web-host.js';
import { tempDir } from '../fixtures/tmp.js';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { STATIC } from '../e2e/site.js';
import { median, quantile } from './stats.js';
import { passed, printSkipped, rendererMissing, verdictText, type SectionResult } from './verdict.js';

const WS = process.env.PERMANENCE_TEST_SIP_WS ?? 'ws://127.0.0.1:8088';

const kamailioUp = () =>
  new Promise<boolean>((ok) => {
    const s = connect(Number(new URL(WS).port), new URL(WS).hostname, () => (s.end(), ok(true)));
    s.on('error', () => ok(false));
  });

async function bareSite(): Promise<{ url: string; close(): Promise<void> }> {
  const out = resolve(import.meta.dirname, '../../.bench-cache/sip-bare');
  await build({ entryPoints: [resolve(import.meta.dirname, 'sip-bare.page.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'chrome120', outfile: join(out, 'bare.js'), logLevel: 'warning' });
  const html = '<!doctype html><meta charset="utf-8"><title>sip.js nu</title><body></body><script type="module" src="/bare.js"></script>';
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/bare.js')) void readFile(join(out, 'bare.js')).then((b) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(b));
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** In the callee's page: click answer (the UI's button, or the bare page's call), then wait for audio. */
const answerToMedia = (page: Page, bare: boolean) =>
  page.evaluate(async (isBare) => {
    const w = window as unknown as { bare?: { answer(): unknown; received(): Promise<number> }; permanencePhone?: { stats(): Promise<{ received: number } | null> } };
    const t0 = performance.now();
    if (isBare) void w.bare!.answer();
    else (document.querySelector('[aria-label="Appel entrant"] button.primary') as HTMLButtonElement).click();
    for (;;) {
      const n = isBare ? await w.bare!.received() : ((await w.permanencePhone!.stats())?.received ?? 0);
      if (n > 0) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 2));
    }
  }, bare);

const shownCount = (page: Page) => page.evaluate(() => performance.getEntriesByName('incoming-shown').length);
const lastShown = (page: Page) => page.evaluate(() => performance.getEntriesByName('incoming-shown').at(-1)!.duration);

export async function benchSip(options: { smoke: boolean }): Promise<SectionResult> {
  const missing = rendererMissing('Softphone', STATIC);
  if (missing) return missing;
  if (!(await kamailioUp())) {
    return printSkipped('Softphone', `no SIP server on ${WS}: npm run services`);
  }
  const calls = options.smoke ? 3 : 50;
  const dirs = [tempDir(), tempDir()];
  const sip = (username: string, password: string) => ({ wsUrl: WS, domain: '127.0.0.1', username, password });
  const agent = WorkstationCore.open({ dataDir: dirs[0]!.path, sip: sip('arm1', 'arm1pass'), telephonyOrigins: [WS] });
  const caller = WorkstationCore.open({ dataDir: dirs[1]!.path, sip: sip('0612345678', 'patientpass'), telephonyOrigins: [WS] });
  const hosts = [await startWebHost({ core: agent, staticDir: STATIC, port: 0 }), await startWebHost({ core: caller, staticDir: STATIC, port: 0 })];
  const bare = await bareSite();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const results = { app: { shown: [] as number[], media: [] as number[] }, bare: { shown: [] as number[], media: [] as number[] } };
  try {
    const login = async (url: string, name: string) => {
      const page = await (await browser.newContext()).newPage();
      await page.goto(url);
      await page.getByLabel('Nom et prénom').fill(name);
      await page.getByLabel('ARM (assistant de régulation médicale)').check();
      await page.getByLabel('Département').fill('21');
      await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Téléphone prêt' }).waitFor({ timeout: 15_000 });
      return page;
    };
    const agentPage = await login(hosts[0]!.launchUrl(), 'Banc Agent');
    const callerPage = await login(hosts[1]!.launchUrl(), 'Banc Patient');
    const barePage = await (await browser.newContext()).newPage();
    await barePage.goto(`${bare.url}/?user=arm2&password=arm2pass&ws=${encodeURIComponent(WS)}`);
    await barePage.waitForFunction(() => (window as unknown as { bare?: { ready: boolean } }).bare?.ready === true, undefined, { timeout: 15_000 });

    const dial = (target: string) => callerPage.evaluate((t) => void (window as unknown as { permanencePhone: { call(x: string): Promise<void> } }).permanencePhone.call(t), target);
    const hangUp = () => callerPage.evaluate(() => (window as unknown as { permanencePhone: { hangup(): Promise<void> } }).permanencePhone.hangup());
    const idle = (page: Page, isBare: boolean) =>
      page.waitForFunction(
        (b) => {
          const w = window as unknown as { bare?: { busy(): boolean }; permanencePhone?: { state: { call: { state: string } | null } } };
          return b ? !w.bare!.busy() : !w.permanencePhone!.state.call || w.permanencePhone!.state.call.state === 'ended';
        },
        isBare,
        { timeout: 10_000 },
      );
    for (let i = 0; i < calls; i++) {
      for (const [page, isBare, target, into] of [
        [agentPage, false, 'arm1', results.app],
        [barePage, true, 'arm2', results.bare],
      ] as const) {
        const before = await shownCount(page);
        await dial(target);
        await page.waitForFunction((n) => performance.getEntriesByName('incoming-shown').length > n, before, { timeout: 10_000 });
        into.shown.push(await lastShown(page));
        into.media.push(await answerToMedia(page, isBare));
        await hangUp();
        await idle(page, isBare);
        await callerPage.waitForFunction(() => {
          const c = (window as unknown as { permanencePhone: { state: { call: { state: string } | null } } }).permanencePhone.state.call;
          return !c || c.state === 'ended';
        });
      }
    }
  } finally {
    await browser.close();
    for (const h of hosts) await h.close();
    await agent.close();
    await caller.close();
    for (const d of dirs) d.cleanup();
    await bare.close();
  }
  const added = median(results.app.shown) - median(results.bare.shown) + (median(results.app.media) - median(results.bare.media));
  const ok = added <= 20;
  const row = (what: string, d: number[]) => `${median(d).toFixed(1)} ms / ${quantile(d, 0.95).toFixed(1)} ms`;
  console.log(`\n# Softphone: ${calls} calls each, Kamailio on loopback (median / p95)`);
  console.log('| measure | workstation | bare sip.js page (same run) |');
  console.log('| --- | --- | --- |');
  console.log(`| INVITE received → incoming call on screen | ${row('', results.app.shown)} | ${row('', results.bare.shown)} |`);
  console.log(`| answer click → first audio packet received | ${row('', results.app.media)} | ${row('', results.bare.media)} |`);
  console.log(`| added by the workstation (medians) | ${added.toFixed(1)} ms | target ≤ 20 ms: ${verdictText(ok, options.smoke)} |`);
  return passed(true, ok);
}
