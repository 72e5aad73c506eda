/**
 * The single writer skips reading known verdicts for submissions marked `likelyNew` (a partner's
 * message seen for the first time) and lets its commit check it: a mutation known after all makes
 * the database refuse the whole statement, and the batch is decided again with the read. Nothing
 * may be applied twice, and every submission learns whether it decided its verdict or got a known one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { TenantWriter, type Submission } from '../../src-server/services/tenant-writer.js';
import type { SqlDatabase } from '../../src-server/db/sql.js';
import { freshDatabase, TENANT, type Engine } from '../fixtures/sync-harness.js';
import { arm } from '../fixtures/hub.js';

const open = (caseId: string, id = uuidv7(), likelyNew = true): Submission => ({
  mutation: { id, caseId, command: { type: 'open', line: '116117', fields: { callbackPhone: '0612345678' } }, clientTime: Date.now(), localSeq: 1 },
  actor: arm,
  workstationId: 'ws-test',
  likelyNew,
});
const note = (caseId: string, id = uuidv7(), likelyNew = true): Submission => ({
  mutation: { id, caseId, command: { type: 'add_note', text: 'rappel du patient' }, clientTime: Date.now(), localSeq: 2 },
  actor: arm,
  workstationId: 'ws-test',
  likelyNew,
});

describe.each<Engine>(['postgres', 'pglite'])('writer, likelyNew submissions (%s)', (engine) => {
  let db: SqlDatabase;
  let drop: () => Promise<void>;
  let writer: TenantWriter;
  const count = async (sql: string, params: unknown[]) => Number((await db.query<{ n: number }>(sql, params)).rows[0]!.n);
  const eventsOf = (caseId: string) => count('SELECT count(*)::int AS n FROM events WHERE tenant = $1 AND case_id = $2', [TENANT, caseId]);

  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(engine));
    writer = await TenantWriter.open(db, TENANT);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('a new one is decided once; the same again gets its known verdict, nothing written twice', async () => {
    const caseId = uuidv7();
    const s = open(caseId);
    const [first] = await writer.submitWithOrigin([s]);
    expect(first).toMatchObject({ fresh: true, verdict: { status: 'accepted' } });
    const seq = writer.lastSeq;
    const [again] = await writer.submitWithOrigin([{ ...s }]);
    expect(again).toEqual({ fresh: false, verdict: first!.verdict });
    expect(writer.lastSeq).toBe(seq);
    expect(await eventsOf(caseId)).toBe(1);
  });

  it('a batch mixing a known and a new mutation: the known one answered again, the new one applied, the batch not lost', async () => {
    const caseId = uuidv7();
    const known = open(caseId);
    await writer.submitWithOrigin([known]);
    const fresh = note(caseId);
    const [a, b] = await Promise.all([writer.submitWithOrigin([{ ...known }]), writer.submitWithOrigin([fresh])]);
    expect(a![0]!.fresh).toBe(false);
    expect(b![0]).toMatchObject({ fresh: true, verdict: { status: 'accepted' } });
    expect(await eventsOf(caseId)).toBe(2);
  });

  it('a refusal is known too: the same refused mutation again is not decided a second time', async () => {
    const caseId = uuidv7();
    const s = note(caseId); // no such case yet: refused
    const [first] = await writer.submitWithOrigin([s]);
    expect(first).toMatchObject({ fresh: true, verdict: { status: 'rejected' } });
    await writer.submitWithOrigin([open(caseId, uuidv7(), false)]);
    // Now the case exists: deciding it again would accept it; its verdict stands.
    const [again] = await writer.submitWithOrigin([{ ...s }]);
    expect(again).toEqual({ fresh: false, verdict: first!.verdict });
    expect(await eventsOf(caseId)).toBe(1);
  });

  it('the same mutation twice in one submission: one decides, the other gets the same verdict', async () => {
    const caseId = uuidv7();
    const s = open(caseId);
    const [a, b] = await writer.submitWithOrigin([s, { ...s }]);
    expect(a!.fresh).toBe(true);
    expect(b).toEqual({ fresh: false, verdict: a!.verdict });
    expect(await eventsOf(caseId)).toBe(1);
  });

  it('a case not in memory is not taken as new: a note on it is applied, a second opening is refused, nothing overwritten', async () => {
    const caseId = uuidv7();
    await writer.submitWithOrigin([open(caseId)]);
    const before = (await db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = $2', [TENANT, caseId])).rows[0]!.data;
    // The writer of a restarted server: its memory is empty (one writer per tenant at a time).
    writer = await TenantWriter.open(db, TENANT);
    const [again] = await writer.submitWithOrigin([open(caseId)]);
    expect(again).toMatchObject({ fresh: true, verdict: { status: 'rejected', error: { code: 'conflict' } } });
    expect((await db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = $2', [TENANT, caseId])).rows[0]!.data).toBe(before);
    writer = await TenantWriter.open(db, TENANT);
    const [n] = await writer.submitWithOrigin([note(caseId)]);
    expect(n).toMatchObject({ fresh: true, verdict: { status: 'accepted' } });
    expect(await eventsOf(caseId)).toBe(2);
  });

  it('a case held in memory is not forgotten while the cases of the same batch are read: both notes applied', async () => {
    // Memory for four cases; the batch's case held longest must survive the reading of another.
    const small = await TenantWriter.open(db, TENANT, { maxCachedCases: 4, maxBatch: 4 });
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => uuidv7());
    for (const id of [a, b, c, d, e]) await small.submitWithOrigin([open(id!, uuidv7(), false)]);
    // Held: b, c, d, e (a was let go). One batch: a note on b (held longest), one on a (to be read).
    const [onB, onA] = await small.submitWithOrigin([note(b!, uuidv7(), false), note(a!, uuidv7(), false)]);
    expect(onB).toMatchObject({ fresh: true, verdict: { status: 'accepted' } });
    expect(onA).toMatchObject({ fresh: true, verdict: { status: 'accepted' } });
    expect(await eventsOf(b!)).toBe(2);
    expect(await eventsOf(a!)).toBe(2);
    writer = await TenantWriter.open(db, TENANT);
  });

  it('submissions not marked likelyNew read known verdicts first, as before', async () => {
    const caseId = uuidv7();
    const s = open(caseId, uuidv7(), false);
    const [first] = await writer.submitWithOrigin([s]);
    const [again] = await writer.submitWithOrigin([{ ...s }]);
    expect(first!.fresh).toBe(true);
    expect(again).toEqual({ fresh: false, verdict: first!.verdict });
    expect(await eventsOf(caseId)).toBe(1);
  });
});
