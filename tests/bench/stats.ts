/** Small timing helpers for the benchmarks: repeated runs, median and p95, printed as a table. */
/** Times two paths alternately, run by run, so that both see the same cache, GC and CPU state. */
export function compareRuns(runs: number, a: (i: number) => unknown, b: (i: number) => unknown): [number[], number[]] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    const first = i % 2 === 0;
    for (const [fn, out] of first ? ([[a, ta], [b, tb]] as const) : ([[b, tb], [a, ta]] as const)) {
      const t0 = performance.now();
      fn(i);
      out.push(performance.now() - t0);
    }
  }
  return [ta, tb];
}
export async function timeRunsAsync(runs: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}
export function quantile(samples: number[], q: number): number {
  const s = samples.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
export const median = (s: number[]) => quantile(s, 0.5);
export const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

export interface Row {
  what: string;
  median: number;
  p95: number;
  baseline?: number;
  target?: string;
  ok?: boolean;
}
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log('| measure | median | p95 | raw baseline (median) | ratio | target | verdict |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.baseline ? (r.median / r.baseline).toFixed(2) + '×' : '';
    const verdict = r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED';
    console.log(`| ${r.what} | ${fmt(r.median)} | ${fmt(r.p95)} | ${r.baseline ? fmt(r.baseline) : ''} | ${ratio} | ${r.target ?? ''} | ${verdict} |`);
  }
}
