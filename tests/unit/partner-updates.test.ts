import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { applyEvent, decide, fieldSource, partnerChanges } from '../../src-shared/domain/case-lifecycle.js';
import type { Actor, RegulationCase, ScreeningFields } from '../../src-shared/schemas/case.js';
import type { CaseCommand, CaseEvent } from '../../src-shared/schemas/case-events.js';

const arm: Actor = { userId: 'arm-1', displayName: 'Alice ARM', role: 'arm' };
const samu: Actor = { userId: 'hub:fr.health.samu210', displayName: 'SAMU 21', role: 'hub' };
const caseId = uuidv7();
let clock = Date.UTC(2026, 10, 26, 2, 0);

/** Decide and apply each command in turn; the log as the server keeps it. */
function log(steps: [CaseCommand, Actor][]): { state: RegulationCase; events: CaseEvent[] } {
  let state: RegulationCase | undefined;
  const events: CaseEvent[] = [];
  for (const [command, actor] of steps) {
    const r = decide(state, command, { actor, workstationId: 'ws-1', eventId: uuidv7(), caseId, now: (clock += 60_000) });
    if (!r.ok) throw new Error(r.error.message);
    const event = { ...r.value, serverSeq: events.length + 1, serverTime: clock } as CaseEvent;
    state = applyEvent(state, event);
    events.push(event);
  }
  return { state: state!, events };
}

const update = (changes: ScreeningFields): CaseCommand => ({
  type: 'hub_update',
  changes,
  notes: [],
  ours: 'fr.health.snp210',
  message: { distributionId: `fr.health.samu210_${uuidv7()}`, senderId: 'fr.health.samu210', useCase: 'createCaseHealthUpdate', sentAt: '2026-11-26T03:00:00+01:00', payload: { caseId: 'x' } },
});

describe('a partner’s update, part by part', () => {
  const here: ScreeningFields = {
    callbackPhone: '0612345678',
    patient: { lastName: 'Moreau', firstName: 'Jean', ageYears: 67 },
    location: { inseeCode: '21231', communeName: 'Dijon', sectorId: 'dijon-nord', accessNotes: 'Code 1234' },
  };

  it('keeps what the partner leaves out (our sector, the access code, the age) and takes what it sends', () => {
    const changes = partnerChanges(here, { location: { inseeCode: '21231', communeName: 'Dijon', address: '3 rue de la Liberté' }, patient: { lastName: 'Moreau', firstName: 'Jean-Paul' } });
    expect(changes.location).toEqual({ inseeCode: '21231', communeName: 'Dijon', sectorId: 'dijon-nord', accessNotes: 'Code 1234', address: '3 rue de la Liberté' });
    expect(changes.patient).toEqual({ lastName: 'Moreau', firstName: 'Jean-Paul', ageYears: 67 });
  });

  it('counts a value sent again unchanged as no change', () => {
    expect(partnerChanges(here, { callbackPhone: '0612345678', patient: { firstName: 'Jean', lastName: 'Moreau' } })).toEqual({});
  });

  it('is what the case ends with once applied', () => {
    const { state } = log([
      [{ type: 'open', line: '116117', fields: here }, arm],
      [update({ location: { address: '3 rue de la Liberté' } }), samu],
    ]);
    expect(state.fields.location).toEqual({ ...here.location, address: '3 rue de la Liberté' });
  });
});

describe('the record of what a partner replaced', () => {
  it('keeps in the event the values replaced and who had typed them', () => {
    const { events, state } = log([
      [{ type: 'open', line: '116117', fields: { callbackPhone: '0612345678', patient: { lastName: 'Moreau', firstName: 'Jean', ageYears: 61 } } }, arm],
      [update({ patient: { ageYears: 62 }, priority: 'P2' }), samu],
    ]);
    const opened = events[0]!;
    const e = events[1]!;
    if (e.kind !== 'case.hub_updated') throw new Error(e.kind);
    expect(e.payload.changes).toEqual({ patient: { lastName: 'Moreau', firstName: 'Jean', ageYears: 62 }, priority: 'P2' });
    // The priority was not set: a new value, nothing replaced.
    expect(e.payload.previous).toEqual({
      values: { patient: { lastName: 'Moreau', firstName: 'Jean', ageYears: 61 } },
      setBy: { patient: { by: 'Alice ARM', role: 'arm', at: opened.serverTime } },
    });
    expect(fieldSource(state, 'patient')).toEqual({ by: 'SAMU 21', role: 'hub', at: e.serverTime });
    // The case's Hub messages say it too (the panel at the top of the case).
    expect(state.hub?.messages.at(-1)).toMatchObject({ direction: 'in', changed: ['patient', 'priority'], replacedHere: ['patient'] });
    expect(fieldSource(state, 'callbackPhone')).toEqual({ by: 'Alice ARM', role: 'arm', at: opened.serverTime });
  });

  it('follows who set each field through local edits, and records nothing when nothing was replaced', () => {
    const { events, state } = log([
      [{ type: 'open', line: '116117' }, arm],
      [{ type: 'update_fields', baseVersion: 1, changes: { callbackPhone: '0612345678' } }, arm],
      [update({ priority: 'P3' }), samu],
    ]);
    expect(fieldSource(state, 'callbackPhone')).toEqual({ by: 'Alice ARM', role: 'arm', at: events[1]!.serverTime });
    const e = events[2]!;
    if (e.kind !== 'case.hub_updated') throw new Error(e.kind);
    expect(e.payload.previous).toBeUndefined();
  });

  it('keeps one author per version still holding a value (a case’s data stays small)', () => {
    const { state } = log([
      [{ type: 'open', line: '116117', fields: { callbackPhone: '0612345678', priority: 'P3' } }, arm],
      [{ type: 'update_fields', baseVersion: 1, changes: { callbackPhone: '0611111111' } }, arm],
      [{ type: 'update_fields', baseVersion: 2, changes: { callbackPhone: '0622222222' } }, arm],
    ]);
    // Version 2's number was replaced by version 3's: its author is no longer kept.
    expect(Object.keys(state.fieldAuthors ?? {}).toSorted()).toEqual(['1', '3']);
    expect(fieldSource(state, 'priority')?.at).toBe(fieldSource(state, 'line')?.at);
  });

  it('still records the values replaced on a case kept before sources were (nobody named)', () => {
    const { state } = log([[{ type: 'open', line: '116117', fields: { callbackPhone: '0612345678', priority: 'P3' } }, arm]]);
    const old = { ...state, fieldAuthors: undefined };
    const r = decide(old, update({ priority: 'P2' }), { actor: samu, workstationId: 'hubsante', eventId: uuidv7(), caseId, now: clock + 1000 });
    if (!r.ok || r.value.kind !== 'case.hub_updated') throw new Error('refused');
    expect(r.value.payload.previous).toEqual({ values: { priority: 'P3' }, setBy: {} });
  });
});
