/**
 * Where a round trip goes: reads the latency marks of a run (src-server/latency-marks.ts, written
 * when PERMANENCE_LATENCY_MARKS names a file) and gives the median time between consecutive marks,
 * across processes, for the round trips that followed the most common path.
 */
import { median } from './stats.js';

export interface Breakdown {
  roundTrips: number;
  /** How many round trips followed the path below (the others interleaved differently). */
  typical: number;
  steps: { from: string; to: string; medianMs: number }[];
  totalMedianMs: number;
}

/** `names`: a name for each process id seen (others are "?"); a window runs from `start` to `end`. */
export function breakdown(text: string, names: Map<number, string>, start: string, end: string): Breakdown {
  const marks = text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, label, at] = l.split(' ');
      return { who: `${names.get(Number(pid)) ?? '?'}: ${label}`, label: label!, at: Number(at) };
    })
    .toSorted((a, b) => a.at - b.at);
  const windows: (typeof marks)[] = [];
  for (let i = 0; i < marks.length; i++) {
    if (marks[i]!.label !== start) continue;
    let j = i + 1;
    while (j < marks.length && marks[j]!.label !== end && marks[j]!.label !== start) j++;
    if (marks[j]?.label === end) windows.push(marks.slice(i, j + 1));
    i = j - 1;
  }
  const pathOf = (w: typeof marks) => w.map((m) => m.who).join(' > ');
  const counts = new Map<string, number>();
  for (const w of windows) counts.set(pathOf(w), (counts.get(pathOf(w)) ?? 0) + 1);
  const [path, typical] = [...counts.entries()].toSorted((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const same = windows.filter((w) => pathOf(w) === path);
  const steps = (same[0] ?? []).slice(1).map((m, k) => ({
    from: same[0]![k]!.who,
    to: m.who,
    medianMs: median(same.map((w) => w[k + 1]!.at - w[k]!.at)),
  }));
  return { roundTrips: windows.length, typical, steps, totalMedianMs: same.length ? median(same.map((w) => w[w.length - 1]!.at - w[0]!.at)) : 0 };
}
