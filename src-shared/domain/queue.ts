/**
 * The regulation queue's order (most urgent priority first, then longest waiting, then id: the
 * order of the store's queue index) and its update by one changed case, so that a screen showing
 * 5,000 waiting cases applies an event in O(log n) instead of reading the whole queue again.
 */
import type { CaseSummary } from '../schemas/case.js';

export function compareQueue(a: CaseSummary, b: CaseSummary): number {
  const pa = a.priority ?? '';
  const pb = b.priority ?? '';
  if (pa !== pb) return pa < pb ? -1 : 1;
  const wa = a.waitingSince ?? 0;
  const wb = b.waitingSince ?? 0;
  if (wa !== wb) return wa - wb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The queue with `changed` removed, then inserted in order if it is waiting. New array; input untouched. */
export function patchQueue(queue: readonly CaseSummary[], changed: readonly CaseSummary[]): CaseSummary[] {
  const ids = new Set(changed.map((c) => c.id));
  const next = queue.filter((c) => !ids.has(c.id));
  for (const c of changed) {
    if (c.status !== 'waiting_regulation') continue;
    let lo = 0;
    let hi = next.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareQueue(next[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    next.splice(lo, 0, c);
  }
  return next;
}

/** Recently changed cases, most recent first, at most `limit`. */
export function patchRecent(recent: readonly CaseSummary[], changed: readonly CaseSummary[], limit: number): CaseSummary[] {
  const ids = new Set(changed.map((c) => c.id));
  return [...changed, ...recent.filter((c) => !ids.has(c.id))].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1)).slice(0, limit);
}
