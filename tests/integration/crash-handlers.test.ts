/** A Node process of Permanence that meets an unhandled error says it and exits (its supervisor restarts it). */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE } from '../../src-node-shared/crash-handlers.js';

const child = resolve(import.meta.dirname, '../fixtures/unhandled-child.ts');
const run = (kind: string) => spawnSync(process.execPath, ['--import', 'tsx', child, kind], { encoding: 'utf8', timeout: 20_000 });

describe('unhandled errors in a Node process', () => {
  it('a rejection nobody handles is logged and ends the process with its own code', () => {
    const r = run('rejection');
    expect(r.status).toBe(CRASH_EXIT_CODE);
    expect(r.stderr).toContain('promesse rejetée sans traitement');
    expect(r.stderr).toContain('écriture perdue');
  });

  it('an exception thrown from a timer too', () => {
    const r = run('exception');
    expect(r.status).toBe(CRASH_EXIT_CODE);
    expect(r.stderr).toContain('exception non traitée');
    expect(r.stderr).toContain('panne du minuteur');
  });
});
