/** The benchmarks can fail: a lost record fails every run, a missed target a full run, a skip is said. */
import { describe, expect, it } from 'vitest';
import { passed, skipped, Tally, verdictText } from '../bench/verdict.js';

describe('benchmark verdicts', () => {
  it('a correctness failure fails the smoke run too', () => {
    const t = new Tally();
    t.add('hubsante', passed(false, true));
    expect(t.exitCode(true)).toBe(1);
    expect(t.exitCode(false)).toBe(1);
  });

  it('a missed target fails a full run, not a smoke run, and is never printed as ok', () => {
    const t = new Tally();
    t.add('sync writer', passed(true, false));
    expect(t.exitCode(true)).toBe(0);
    expect(t.exitCode(false)).toBe(1);
    expect(verdictText(false, true)).not.toBe('ok');
    expect(verdictText(false, false)).toBe('MISSED');
    expect(verdictText(true, true, false)).toMatch(/^FAILED/);
  });

  it('a skipped section is listed with its reason and fails nothing', () => {
    const t = new Tally();
    t.add('sip', skipped('no SIP server'));
    t.add('cache', passed(true, true));
    expect(t.skippedSections).toEqual(['sip: no SIP server']);
    expect(t.exitCode(false)).toBe(0);
  });
});
