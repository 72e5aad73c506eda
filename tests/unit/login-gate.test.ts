/**
 * The login gate (services/login-guard.ts): checks run `concurrency` at a time; an address that
 * logged in lately passes before the others, one place is kept for such addresses, and no check
 * from elsewhere starts while one of theirs runs (a flood of guesses never delays a workstation
 * by more than the check already under way).
 */
import { describe, expect, it } from 'vitest';
import { LoginGuard } from '../../src-server/services/login-guard.js';
import type { Queryable } from '../../src-server/db/sql.js';

const db: Queryable = { query: async () => ({ rows: [] }), exec: async () => {} };

/** A check that runs until released, noting when it started. */
function controllable(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { run: async () => (log.push(name), await done, name), release };
}
const settle = () => new Promise((r) => setTimeout(r, 5));

describe('login gate', () => {
  it('addresses from elsewhere take one place of two; a known address takes the other at once', async () => {
    const guard = new LoginGuard(db, undefined, 2);
    await guard.succeeded('cote-dor:arm1', '10.0.0.1').catch(() => {});
    const log: string[] = [];
    const flood = Array.from({ length: 3 }, (_, i) => controllable(log, `flood${i}`));
    const running = flood.map((f, i) => guard.check(`172.16.0.${i}`, f.run));
    await settle();
    expect(log).toEqual(['flood0']); // one place for them, whatever their number
    const arm = controllable(log, 'arm1');
    const armDone = guard.check('10.0.0.1', arm.run);
    await settle();
    expect(log).toEqual(['flood0', 'arm1']); // the kept place: no wait for flood0
    flood[0]!.release();
    await settle();
    expect(log).toEqual(['flood0', 'arm1']); // none of theirs starts while the workstation's runs
    arm.release();
    expect(await armDone).toBe('arm1');
    await settle();
    expect(log).toEqual(['flood0', 'arm1', 'flood1']);
    flood[1]!.release();
    flood[2]!.release();
    expect(await Promise.all(running)).toEqual(['flood0', 'flood1', 'flood2']);
  });

  it('known addresses waiting go before the others when a place frees', async () => {
    const guard = new LoginGuard(db, undefined, 2);
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) await guard.succeeded(`cote-dor:${a}`, a).catch(() => {});
    const log: string[] = [];
    const a1 = controllable(log, 'a1');
    const a2 = controllable(log, 'a2');
    const p1 = guard.check('10.0.0.1', a1.run);
    const p2 = guard.check('10.0.0.2', a2.run);
    const stranger = controllable(log, 'stranger');
    const ps = guard.check('192.0.2.9', stranger.run);
    const a3 = controllable(log, 'a3');
    const p3 = guard.check('10.0.0.3', a3.run);
    await settle();
    expect(log).toEqual(['a1', 'a2']);
    a1.release();
    await settle();
    expect(log).toEqual(['a1', 'a2', 'a3']); // came after the stranger, went before
    a2.release();
    a3.release();
    await Promise.all([p1, p2, p3]);
    await settle();
    expect(log).toEqual(['a1', 'a2', 'a3', 'stranger']);
    stranger.release();
    await ps;
  });

  it('a check that throws frees its place', async () => {
    const guard = new LoginGuard(db, undefined, 2);
    await expect(guard.check('172.16.0.1', async () => Promise.reject(new Error('argon2 failed')))).rejects.toThrow('argon2 failed');
    expect(await guard.check('172.16.0.2', async () => 'next')).toBe('next');
  });
});
