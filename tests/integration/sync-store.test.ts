/**
 * The workstation store's sync bookkeeping, without a server: what a snapshot or the event stream
 * does to this workstation's own pending mutations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RegulationCase } from '../../src-shared/schemas/case.js';
import type { ServerEvent } from '../../src-shared/sync-protocol/messages.js';
import { newCore } from '../fixtures/transports.js';
import { decodeSnapshotPage, encodeSnapshotPage } from '../../src-shared/sync-protocol/snapshot-page.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A case of a snapshot page as the decoder hands it over: with the text it was read from. */
const snapshotCase = (lastSeq: number, data: RegulationCase) => ({ lastSeq, data, json: JSON.stringify(data) });

/** A physician's workstation (closed after the test) with one case just opened. */
async function openedCase() {
  const { core, cleanup } = newCore();
  cleanups.push(async () => {
    await core.close();
    cleanup();
  });
  await core.registry.call('session.login', { displayName: 'Dr Test', role: 'physician', department: '21' });
  const opened = (await core.registry.call('case.open', { line: '116117' })) as { ok: true; value: RegulationCase };
  return { core, opened };
}

async function caseWithNote() {
  const { core, opened } = await openedCase();
  await core.registry.call('case.command', { caseId: opened.value.id, command: { type: 'add_note', text: 'une note' } });
  const visible = core.store.getCase(opened.value.id)!;
  const events = core.store.history(opened.value.id).map((e, i) => ({ ...e, serverSeq: i + 1, serverTime: e.clientTime, localSeq: null }) as ServerEvent);
  return { core, visible, events };
}

describe('own mutations already contained in the server state', () => {
  it('a snapshot that contains our accepted mutations stops overlaying them (no note shown twice)', async () => {
    const { core, visible, events } = await caseWithNote();
    core.store.recordVerdicts(events.map((e) => ({ id: e.id, status: 'accepted' as const, seq: e.serverSeq })), 'epoch-1');
    core.store.applySnapshot([snapshotCase(2, visible)], 'epoch-1');
    expect(core.store.getCase(visible.id)!.notes).toHaveLength(1);
  });

  it('events that arrive after a snapshot already containing them are recorded and stop being overlaid', async () => {
    const { core, visible, events } = await caseWithNote();
    // The snapshot was taken after the server accepted both, before this workstation heard the verdicts.
    core.store.applySnapshot([snapshotCase(2, visible)], 'epoch-1');
    core.store.applyServerEvents(events, 'epoch-1', 2, Date.now());
    const shown = core.store.getCase(visible.id)!;
    expect(shown.notes).toHaveLength(1);
    expect(shown.version).toBe(2);
    expect(core.store.history(visible.id).map((e) => [e.syncStatus, e.serverSeq])).toEqual([
      ['accepted', 1],
      ['accepted', 2],
    ]);
  });

  it('our events that a snapshot contains read as accepted, though the server’s copies never come (verdicts first)', async () => {
    const { core, visible, events } = await caseWithNote();
    core.store.recordVerdicts(events.map((e) => ({ id: e.id, status: 'accepted' as const, seq: e.serverSeq })), 'epoch-1');
    // The snapshot moves the cursor past both: the event stream will not bring them.
    core.store.applySnapshot([snapshotCase(2, visible)], 'epoch-1');
    expect(core.store.history(visible.id).map((e) => [e.syncStatus, e.serverSeq])).toEqual([
      ['accepted', 1],
      ['accepted', 2],
    ]);
  });

  it('the same when the verdicts come after the snapshot; one the snapshot does not contain stays pending', async () => {
    const { core, visible, events } = await caseWithNote();
    // Taken after the opening only.
    core.store.applySnapshot([snapshotCase(1, { ...visible, notes: [], version: 1 })], 'epoch-1');
    core.store.recordVerdicts(events.map((e) => ({ id: e.id, status: 'accepted' as const, seq: e.serverSeq })), 'epoch-1');
    expect(core.store.history(visible.id).map((e) => [e.syncStatus, e.serverSeq])).toEqual([
      ['accepted', 1],
      ['pending', null],
    ]);
    // Its server copy then arrives with the server's time.
    core.store.applyServerEvents([events[1]!], 'epoch-1', 2, Date.now());
    expect(core.store.history(visible.id).map((e) => [e.syncStatus, e.serverSeq, e.serverTime])).toEqual([
      ['accepted', 1, null],
      ['accepted', 2, events[1]!.serverTime],
    ]);
  });
});

describe('a snapshot page', () => {
  it('with one case that breaks the schema is refused whole: nothing of it is written, and the error names the line', async () => {
    const { core, opened } = await openedCase();
    const good = { ...opened.value, id: '01938a8c-0000-7000-8000-00000000aaaa' };
    const bad = { ...opened.value, id: '01938a8c-0000-7000-8000-00000000bbbb', status: 'égaré' };
    const text = encodeSnapshotPage({ epoch: 'epoch-1', highWater: 2, next: null }, [
      { lastSeq: 1, json: JSON.stringify(good) },
      { lastSeq: 2, json: JSON.stringify(bad) },
    ]);
    expect(() => core.store.applySnapshot(decodeSnapshotPage(text).cases, 'epoch-1')).toThrow(/ligne 3 : dossier non conforme \(champ « status »\)/);
    expect(core.store.getCase(good.id)).toBeUndefined();
    // The same page without the faulty case goes in.
    core.store.applySnapshot(decodeSnapshotPage(encodeSnapshotPage({ epoch: 'epoch-1', highWater: 1, next: null }, [{ lastSeq: 1, json: JSON.stringify(good) }])).cases, 'epoch-1');
    expect(core.store.getCase(good.id)?.id).toBe(good.id);
  });
});
