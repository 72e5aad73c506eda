/**
 * What a benchmark section found, kept apart: a correctness failure (a record lost, duplicated or
 * unlinked) fails every run, the smoke run included; a target missed fails a full run only (the
 * smoke run's data are too small to hold targets, and says so); a skipped section says why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type SectionResult = { correct: boolean; met: boolean } | { skipped: string };

export const passed = (correct: boolean, met: boolean): SectionResult => ({ correct, met });
export const skipped = (reason: string): SectionResult => ({ skipped: reason });

/** The verdict column: never "ok" for a target that was not met. */
export function verdictText(met: boolean, smoke: boolean, correct = true): string {
  if (!correct) return 'FAILED (records lost or duplicated)';
  if (met) return 'ok';
  return smoke ? 'missed (smoke run: small data, not held)' : 'MISSED';
}

export function printSkipped(section: string, reason: string): SectionResult {
  console.log(`\n# ${section}: SKIPPED (${reason})`);
  return skipped(reason);
}

/**
 * The sections that drive the renderer in Chromium skip, saying so, when it is not built (`npm run
 * bench` builds it first; `tsx tests/bench/run.ts` alone does not): without it they timed out on
 * the login page and read as lost calls.
 */
export function rendererMissing(section: string, staticDir: string): SectionResult | null {
  return existsSync(join(staticDir, 'index.html')) ? null : printSkipped(section, 'build the renderer first: npm run build');
}

export class Tally {
  broken: string[] = [];
  missed: string[] = [];
  skippedSections: string[] = [];
  add(section: string, r: SectionResult): void {
    if ('skipped' in r) this.skippedSections.push(`${section}: ${r.skipped}`);
    else {
      if (!r.correct) this.broken.push(section);
      if (!r.met) this.missed.push(section);
    }
  }
  /** 1 on a correctness failure; on a full run, also on a missed target. */
  exitCode(smoke: boolean): number {
    return this.broken.length > 0 || (!smoke && this.missed.length > 0) ? 1 : 0;
  }
}
