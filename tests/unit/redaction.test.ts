/**
 * What a supervisor's stream holds (src-shared/domain/redaction.ts): the queue's shape without who
 * the patient is, how to reach them or what was said; and the redacted events fold into the
 * redaction of the whole case, so a snapshot and the live events that follow it agree.
 */
import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { applyEvent, decide, replay } from '../../src-shared/domain/case-lifecycle.js';
import { redactCase, redactEvent, WITHHELD } from '../../src-shared/domain/redaction.js';
import { CaseEventSchema, type CaseCommand, type CaseEvent } from '../../src-shared/schemas/case-events.js';
import { RegulationCaseSchema, type Actor, type RegulationCase } from '../../src-shared/schemas/case.js';

const arm: Actor = { userId: 'arm-1', displayName: 'Alice ARM', role: 'arm' };
const dr: Actor = { userId: 'dr-a', displayName: 'Dr Martin', role: 'physician' };
const caseId = uuidv7();
let clock = Date.UTC(2026, 11, 4, 21, 0);

/** A night's case, step by step, as the server logs it. */
function night(): CaseEvent[] {
  const events: CaseEvent[] = [];
  let state: RegulationCase | undefined;
  let seq = 0;
  const step = (command: CaseCommand, actor: Actor) => {
    const r = decide(state, command, { actor, workstationId: 'ws-1', eventId: uuidv7(), caseId, now: (clock += 1000) });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    const e = CaseEventSchema.parse({ ...r.value, localSeq: seq + 1, serverSeq: ++seq, serverTime: clock });
    events.push(e);
    state = applyEvent(state, e);
  };
  step({ type: 'open', line: '116117', fields: { callbackPhone: '06 12 34 56 78', caller: { name: 'Paul Dupont', relationship: 'family' } } }, arm);
  step(
    {
      type: 'update_fields',
      baseVersion: 1,
      changes: {
        patient: { lastName: 'Dupont', firstName: 'Jeanne', birthDate: '1950-03-02', sex: 'F' },
        location: { inseeCode: '21231', communeName: 'Dijon', postalCode: '21000', address: '12 rue des Forges', accessNotes: 'code 1234, 3e étage' },
        reasonCode: 'FEVER',
        reasonText: 'fièvre depuis hier soir, vit seule',
        priority: 'P3',
        treatingDoctor: { name: 'Dr Lemoine' },
      },
    },
    arm,
  );
  step({ type: 'record_call', call: { callId: 'c1', direction: 'in', line: '116117', remote: '+33612345678', arrivedAt: clock, answeredAt: clock, endedAt: clock + 60_000, holds: [] } }, arm);
  step({ type: 'add_note', text: 'Mme Dupont, diabétique, sous insuline' }, arm);
  step({ type: 'send_to_regulation' }, arm);
  step({ type: 'take' }, dr);
  step({ type: 'decide', decision: { code: 'CONSULTATION', effector: 'Dr Bonnet', appointmentAt: clock + 3_600_000, place: 'Cabinet, 3 rue Monge', comment: 'apporter ses ordonnances' } }, dr);
  step({ type: 'close' }, dr);
  step({ type: 'reopen', reason: 'Mme Dupont rappelle : douleur thoracique' }, dr);
  step({ type: 'cancel', reason: 'doublon du dossier de son fils' }, dr);
  return events;
}

const IDENTITY = ['Dupont', 'Jeanne', '1950-03-02', '06 12 34 56 78', '+33612345678', 'Paul', 'rue des Forges', 'code 1234', 'vit seule', 'Lemoine', 'insuline', 'thoracique', 'ordonnances', 'rue Monge', 'doublon'];

describe('redaction for supervision', () => {
  const events = night();
  const whole = replay(events)!;

  it('the whole log holds every identity datum (the test data is what it says)', () => {
    const text = JSON.stringify(events);
    for (const s of IDENTITY) expect(text, s).toContain(s);
  });

  it('no identity, contact or free text in the redacted events nor in the redacted case, and both still valid', () => {
    const redacted = events.map(redactEvent);
    for (const e of redacted) CaseEventSchema.parse(e);
    const text = JSON.stringify(redacted) + JSON.stringify(redactCase(whole));
    for (const s of IDENTITY) expect(text, s).not.toContain(s);
    RegulationCaseSchema.parse(redactCase(whole));
  });

  it('keeps what the queue and the wall screen count: status, priority, reason code, commune, sector, times, who, the decision’s kind', () => {
    const r = redactCase(whole);
    expect(r).toMatchObject({ id: caseId, status: 'cancelled', reference: whole.reference, openedAt: whole.openedAt, closedAt: whole.closedAt, reopenCount: 1, firstDecidedAt: whole.firstDecidedAt });
    expect(r.fields).toEqual({ line: '116117', patient: { sex: 'F' }, location: { inseeCode: '21231', communeName: 'Dijon', postalCode: '21000' }, reasonCode: 'FEVER', priority: 'P3' });
    expect(r.decision).toEqual({ code: 'CONSULTATION', effector: 'Dr Bonnet', appointmentAt: whole.decision!.appointmentAt });
    expect(r.notes.map((n) => [n.author, n.text])).toEqual([['Alice ARM', WITHHELD]]);
    expect(r.calls?.map((c) => [c.direction, c.remote, c.endedAt - c.arrivedAt])).toEqual([['in', WITHHELD, 60_000]]);
    expect(r.statusReason).toBe(WITHHELD);
  });

  it('folding the redacted events gives the redacted case (a snapshot and the events after it agree)', () => {
    expect(replay(events.map(redactEvent))).toEqual(redactCase(whole));
    // From any point: the redacted case so far, then the rest redacted.
    for (let cut = 1; cut < events.length; cut++) {
      let state = redactCase(replay(events.slice(0, cut))!);
      for (const e of events.slice(cut)) state = applyEvent(state, redactEvent(e));
      expect(state, `cut at ${cut}`).toEqual(redactCase(whole));
    }
  });
});
