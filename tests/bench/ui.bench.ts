/**
 * Renderer benchmark (issue 5), in Debian's Chromium against a real workstation core: time from
 * an incoming case event to the queue committed to the page (the renderer's own `queue-render`
 * measure), with 5,000 waiting cases, next to the same measure with 50 waiting cases in the same
 * run. Target: ≤ 16 ms (one frame).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { startWebHost } from '../../src-main/web-host/web-host.js';
import { tempDir } from '../fixtures/tmp.js';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { median, quantile } from './stats.js';

const STATIC = resolve(import.meta.dirname, '../../dist/renderer');

async function seed(core: WorkstationCore, n: number, from: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const r = await core.registry.call('case.open', {
      line: '116117',
      fields: {
        callbackPhone: `06${String(i).padStart(8, '0')}`,
        patient: { lastName: `Patient${i}`, firstName: 'Test', ageYears: 40 },
        location: { inseeCode: '21231' },
        reasonCode: 'FEVER',
        priority: i % 10 === 0 ? 'P1' : 'P3',
      },
    });
    if (!r.ok) throw new Error(r.error.message);
    const s = await core.registry.call('case.command', { caseId: (r.value as { id: string }).id, command: { type: 'send_to_regulation' } });
    if (!s.ok) throw new Error(s.error.message);
  }
}

/** Event → committed queue, `events` times, with `waiting` cases in the queue. */
async function measure(waiting: number, events: number): Promise<number[]> {
  const dir = tempDir();
  const core = WorkstationCore.open({ dataDir: dir.path });
  const host = await startWebHost({ core, staticDir: STATIC, port: 0 });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await core.registry.call('session.login', { displayName: 'Banc Mesure', role: 'physician', department: '21' });
    await seed(core, waiting, 0);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: 'fr-FR' });
    await page.goto(host.url);
    await page.locator('#queue-title .count').filter({ hasText: String(waiting) }).waitFor();
    const durations: number[] = [];
    for (let i = 0; i < events; i++) {
      const before = await page.evaluate(() => performance.getEntriesByName('queue-render').length);
      await seed(core, 1, waiting + i * 10 + 1);
      // Two events per new case (opened, sent): wait for the second to be rendered.
      await page.waitForFunction((n) => performance.getEntriesByName('queue-render').length >= n + 2, before);
      durations.push(...(await page.evaluate((n) => performance.getEntriesByName('queue-render').slice(n).map((e) => e.duration), before)));
    }
    return durations;
  } finally {
    await browser.close();
    await host.close();
    await core.close();
    dir.cleanup();
  }
}

export async function benchUi(options: { smoke: boolean }): Promise<boolean> {
  if (!existsSync(resolve(STATIC, 'index.html'))) {
    console.log('\n# UI: skipped (build the renderer first: npm run build)');
    return true;
  }
  const big = options.smoke ? 500 : 5_000;
  const events = options.smoke ? 10 : 50;
  const small = await measure(50, events);
  const large = await measure(big, events);
  const ok = quantile(large, 0.95) <= 16;
  console.log(`\n# UI: incoming case event → regulation queue committed to the page (Chromium)`);
  console.log('| waiting cases | renders | median | p95 | max | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const row = (n: number, d: number[], target: string, verdict: string) =>
    console.log(`| ${n.toLocaleString('fr-FR')} | ${d.length} | ${median(d).toFixed(1)} ms | ${quantile(d, 0.95).toFixed(1)} ms | ${Math.max(...d).toFixed(1)} ms | ${target} | ${verdict} |`);
  row(50, small, 'baseline (same run)', '');
  row(big, large, '≤ 16 ms', options.smoke || ok ? 'ok' : 'MISSED');
  return options.smoke || ok;
}
