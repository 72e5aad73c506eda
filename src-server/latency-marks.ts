/**
 * Latency marks for the benchmarks, off unless PERMANENCE_LATENCY_MARKS names a file: then each
 * `mark(label)` records "<pid> <label> <wall-clock ms, µs precision>", buffered and appended to that
 * file every second and at exit (several processes may write to the same file: one append each).
 * The Hub benchmark reads them back to say where a round trip goes, step by step, across the
 * liberal center, the dispatcher stub and the SAMU. Without the variable a mark costs one test.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.PERMANENCE_LATENCY_MARKS;
const lines: string[] = [];

export function mark(label: string): void {
  if (!file) return;
  lines.push(`${process.pid} ${label} ${(performance.timeOrigin + performance.now()).toFixed(3)}`);
}

/** Append what is buffered (done every second and at exit). */
export function flushMarks(): void {
  if (file && lines.length) appendFileSync(file, `${lines.splice(0).join('\n')}\n`);
}

if (file) {
  setInterval(flushMarks, 1000).unref();
  process.on('exit', flushMarks);
}
