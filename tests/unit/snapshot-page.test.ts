import { describe, expect, it } from 'vitest';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import { decodeSnapshotPage, encodeSnapshotPage, SnapshotPageError } from '../../src-shared/sync-protocol/snapshot-page.js';

const arm = { userId: 'cote-dor:arm1', displayName: 'ARM 1', role: 'arm' as const };

function openedCase(id: string, lastName: string): RegulationCase {
  const r = decide(undefined, { type: 'open', line: '116117', fields: { patient: { lastName, firstName: 'Zoé' }, reasonText: 'fièvre\nnuit "agitée"' } }, { actor: arm, workstationId: 'ws', eventId: id, caseId: id, now: Date.UTC(2026, 11, 5, 22) });
  if (!r.ok) throw new Error(r.error.message);
  return applyEvent(undefined, { ...r.value, serverTime: Date.UTC(2026, 11, 5, 22) });
}

const ID_A = '01938a8c-0000-7000-8000-000000000001';
const ID_B = '01938a8c-0000-7000-8000-000000000002';

/** Decodes a page and takes every case (line faults are found as cases are taken). */
const readAll = (text: string) => [...decodeSnapshotPage(text).cases];

describe('snapshot page on the wire (newline-delimited JSON)', () => {
  it('hands back each case validated, with the exact text the server stored (newlines and quotes in fields included)', () => {
    const a = openedCase(ID_A, 'Lebrun');
    const b = openedCase(ID_B, 'Éluard');
    const stored = [JSON.stringify(a), JSON.stringify(b)];
    const text = encodeSnapshotPage({ epoch: 'e1', highWater: 42, next: ID_B }, [
      { lastSeq: 7, json: stored[0]! },
      { lastSeq: 42, json: stored[1]! },
    ]);
    expect(text.split('\n')).toHaveLength(4);
    const page = decodeSnapshotPage(text);
    expect(page).toMatchObject({ epoch: 'e1', highWater: 42, next: ID_B, count: 2 });
    const cases = [...page.cases];
    expect(cases.map((c) => [c.lastSeq, c.json])).toEqual([
      [7, stored[0]],
      [42, stored[1]],
    ]);
    expect(cases[1]!.data).toEqual(b);
    expect([...decodeSnapshotPage(encodeSnapshotPage({ epoch: 'e1', highWater: 0, next: null }, [])).cases]).toEqual([]);
  });

  it('refuses a page cut short, a line that is not [sequence, case], or a case that breaks the schema, and says which line', () => {
    const a = JSON.stringify(openedCase(ID_A, 'Lebrun'));
    const whole = encodeSnapshotPage({ epoch: 'e1', highWater: 3, next: null }, [
      { lastSeq: 1, json: a },
      { lastSeq: 3, json: a.replace(ID_A, ID_B) },
    ]);
    const cut = whole.split('\n').slice(0, 2).join('\n');
    expect(() => decodeSnapshotPage(cut)).toThrow(/1 dossiers reçus sur 2 annoncés/);
    expect(() => decodeSnapshotPage('')).toThrow(SnapshotPageError);
    expect(() => readAll(whole.replace('[3,', '[-3,'))).toThrow(/ligne 3 : \[séquence, dossier\] attendu/);
    expect(() => readAll(whole.replace('[3,', '[3.5,'))).toThrow(/ligne 3/);
    expect(() => readAll(whole.replace(`[3,${a.replace(ID_A, ID_B)}]`, `[3,${a.replace(ID_A, ID_B).slice(0, -1)}]`))).toThrow(/ligne 3 : JSON illisible/);
    const broken = new TextEncoder().encode(whole);
    broken[broken.length - 10] = 0xff;
    expect(() => [...decodeSnapshotPage(broken).cases]).toThrow(/ligne 3 : UTF-8 invalide/);
    const noStatus = JSON.stringify({ ...JSON.parse(a), status: 'perdu' });
    expect(() => readAll(whole.replace(`[1,${a}]`, `[1,${noStatus}]`))).toThrow(/ligne 2 : dossier non conforme \(champ « status »\)/);
    const extra = JSON.stringify({ ...JSON.parse(a), injected: true });
    expect(() => readAll(whole.replace(`[1,${a}]`, `[1,${extra}]`))).toThrow(/ligne 2 : dossier non conforme/);
  });
});
