import { describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import {
  applyEvent,
  decide,
  missingForRegulation,
  replay,
  trackForPriority,
} from '../../src-shared/domain/case-lifecycle.js';
import type { Actor, RegulationCase } from '../../src-shared/schemas/case.js';
import type { CaseCommand, CaseEventDraft } from '../../src-shared/schemas/case-events.js';
import { CaseEventSchema } from '../../src-shared/schemas/case-events.js';

const arm: Actor = { userId: 'arm-1', displayName: 'Alice ARM', role: 'arm' };
const drA: Actor = { userId: 'dr-a', displayName: 'Dr Martin', role: 'physician' };
const drB: Actor = { userId: 'dr-b', displayName: 'Dr Durand', role: 'physician' };
const supervisor: Actor = { userId: 'sup', displayName: 'Sam Sup', role: 'supervisor' };
const caseId = uuidv7();
let clock = Date.UTC(2026, 10, 25, 21, 0);

function run(state: RegulationCase | undefined, command: CaseCommand, actor: Actor) {
  const r = decide(state, command, { actor, workstationId: 'ws-1', eventId: uuidv7(), caseId, now: (clock += 1000) });
  return r;
}
function must(state: RegulationCase | undefined, command: CaseCommand, actor: Actor): RegulationCase {
  const r = run(state, command, actor);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return applyEvent(state, r.value);
}

const fullScreening = {
  callbackPhone: '06 12 34 56 78',
  patient: { lastName: 'Dupont', firstName: 'Jeanne', birthDate: '1950-03-02', sex: 'F' as const },
  location: { inseeCode: '21231', communeName: 'Dijon' },
  reasonCode: 'FEVER' as const,
  priority: 'P3' as const,
};

describe('case lifecycle', () => {
  it('goes new call → screening → waiting → under regulation → decided → closed', () => {
    let c = must(undefined, { type: 'open', line: '116117' }, arm);
    expect(c.status).toBe('new_call');
    expect(c.reference).toMatch(/^20261125-[0-9A-F]{6}$/);
    c = must(c, { type: 'update_fields', baseVersion: c.version, changes: fullScreening }, arm);
    expect(c.status).toBe('screening');
    c = must(c, { type: 'send_to_regulation' }, arm);
    expect(c.status).toBe('waiting_regulation');
    expect(c.track).toBe('liberal');
    c = must(c, { type: 'take' }, drA);
    expect(c.status).toBe('under_regulation');
    expect(c.takenBy?.userId).toBe('dr-a');
    c = must(c, { type: 'decide', decision: { code: 'PHONE_ADVICE', comment: 'Paracétamol, rappeler si aggravation' } }, drA);
    expect(c.status).toBe('decided');
    expect(c.decidedBy?.userId).toBe('dr-a');
    c = must(c, { type: 'close' }, drA);
    expect(c.status).toBe('closed');
    expect(c.closedAt).toBeGreaterThan(c.openedAt);
    expect(c.version).toBe(6);
  });

  it('routes P0/P1 to the SAMU and P2/P3 to liberal regulation', () => {
    expect(trackForPriority('P0')).toBe('samu');
    expect(trackForPriority('P1')).toBe('samu');
    expect(trackForPriority('P2')).toBe('liberal');
    expect(trackForPriority('P3')).toBe('liberal');
    let c = must(undefined, { type: 'open', line: '116117', fields: { ...fullScreening, priority: 'P1' } }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    expect(c.track).toBe('samu');
  });

  it('refuses to send an incomplete case to regulation and says what is missing', () => {
    const c = must(undefined, { type: 'open', line: '116117', fields: { callbackPhone: '0612345678' } }, arm);
    const r = run(c, { type: 'send_to_regulation' }, arm);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('incomplete');
    expect(r.error.message).toContain('motif d’appel');
    expect(missingForRegulation(c.fields)).toEqual([
      'motif d’appel',
      'priorité',
      'commune',
      'nom ou prénom du patient',
      'date de naissance ou âge',
    ]);
  });

  it('lets exactly one physician take a case; the other is told who has it', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    const taken = must(c, { type: 'take' }, drA);
    const second = run(taken, { type: 'take' }, drB);
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.error.code).toBe('already_taken');
      expect(second.error.message).toBe('Dossier déjà pris par Dr Martin.');
    }
    // Only the holder may decide or release.
    const r = run(taken, { type: 'decide', decision: { code: 'PHONE_ADVICE' } }, drB);
    expect(r.ok || r.error.code).toBe('forbidden');
  });

  it('checks roles: an ARM cannot take or decide, a supervisor cannot edit', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    const take = run(c, { type: 'take' }, arm);
    expect(take.ok || take.error.code).toBe('forbidden');
    const edit = run(c, { type: 'update_fields', baseVersion: c.version, changes: { priority: 'P2' } }, supervisor);
    expect(edit.ok || edit.error.code).toBe('forbidden');
  });

  it('requires the fields each decision needs', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    c = must(c, { type: 'take' }, drA);
    const r = run(c, { type: 'decide', decision: { code: 'CONSULTATION' } }, drA);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.details).toEqual({ missing: ['Médecin effecteur', 'Heure du rendez-vous'] });
    const okRx = run(c, { type: 'decide', decision: { code: 'PRESCRIPTION', pharmacy: 'Pharmacie du Centre' } }, drA);
    expect(okRx.ok).toBe(true);
  });

  it('merges independent field edits and refuses a stale edit of the same field', () => {
    let c = must(undefined, { type: 'open', line: '116117' }, arm);
    const seen = c.version;
    c = must(c, { type: 'update_fields', baseVersion: seen, changes: { priority: 'P2' } }, arm);
    // Another workstation, still at `seen`, edits a different field: merged.
    c = must(c, { type: 'update_fields', baseVersion: seen, changes: { reasonText: 'fièvre 39' } }, drA);
    expect(c.fields.priority).toBe('P2');
    expect(c.fields.reasonText).toBe('fièvre 39');
    // ... and the same field: conflict, with the current value to show.
    const stale = run(c, { type: 'update_fields', baseVersion: seen, changes: { priority: 'P3' } }, drA);
    expect(stale.ok).toBe(false);
    if (!stale.ok) {
      expect(stale.error.code).toBe('conflict');
      expect(stale.error.details).toMatchObject({ fields: ['priority'], current: { priority: 'P2' } });
    }
  });

  it('never edits a closed case in place: reopening is a new event', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    c = must(c, { type: 'take' }, drA);
    c = must(c, { type: 'decide', decision: { code: 'PHONE_ADVICE' } }, drA);
    c = must(c, { type: 'close' }, drA);
    const edit = run(c, { type: 'update_fields', baseVersion: c.version, changes: { priority: 'P1' } }, drA);
    expect(edit.ok || edit.error.code).toBe('invalid_transition');
    c = must(c, { type: 'reopen', reason: 'rappel du patient, aggravation' }, drA);
    expect(c.status).toBe('waiting_regulation');
    expect(c.takenBy).toBeUndefined();
  });

  it('replays the same state from its events, and every event passes the shared schema', () => {
    const events: CaseEventDraft[] = [];
    let state: RegulationCase | undefined;
    const commands: [CaseCommand, Actor][] = [
      [{ type: 'open', line: '15' }, arm],
      [{ type: 'update_fields', baseVersion: 1, changes: fullScreening }, arm],
      [{ type: 'add_note', text: 'Patiente anxieuse' }, arm],
      [{ type: 'send_to_regulation' }, arm],
      [{ type: 'take' }, drA],
      [{ type: 'release' }, drA],
      [{ type: 'take' }, drB],
      [{ type: 'transfer_samu', reason: 'douleur thoracique apparue' }, drB],
    ];
    for (const [cmd, actor] of commands) {
      const r = run(state, cmd, actor);
      if (!r.ok) throw new Error(r.error.message);
      events.push(r.value);
      state = applyEvent(state, r.value);
    }
    expect(replay(events)).toEqual(state);
    expect(state?.status).toBe('transferred_samu');
    expect(state?.notes.map((n) => n.text)).toEqual(['Patiente anxieuse']);
    for (const e of events) expect(CaseEventSchema.safeParse({ ...e, localSeq: 1, serverSeq: null, serverTime: null }).success).toBe(true);
  });
});

describe('time and order', () => {
  it('uses the server’s time once known, and keeps the reference from the author’s clock', () => {
    const skewed = Date.UTC(2026, 10, 25, 9, 0); // the workstation's clock is 12 h behind
    const r = decide(undefined, { type: 'open', line: '116117' }, { actor: arm, workstationId: 'ws', eventId: caseId, caseId, now: skewed });
    if (!r.ok) throw new Error(r.error.message);
    const local = applyEvent(undefined, r.value);
    const confirmed = applyEvent(undefined, { ...r.value, serverTime: skewed + 12 * 3_600_000 });
    expect(local.openedAt).toBe(skewed);
    expect(confirmed.openedAt).toBe(skewed + 12 * 3_600_000);
    expect(confirmed.reference).toBe(local.reference);
  });

  it('makes every event payload a function of its command only (local and server events agree)', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    const r = run(c, { type: 'send_to_regulation' }, arm);
    expect(r.ok && r.value.payload).toEqual({});
    c = applyEvent(c, (r as { ok: true; value: CaseEventDraft }).value);
    expect(c.track).toBe('liberal');
  });
});

describe('calls recorded in a case', () => {
  const T0 = Date.UTC(2026, 10, 25, 22, 0);
  const call = (over: Partial<{ callId: string; arrivedAt: number; answeredAt: number | null; endedAt: number }> = {}) => ({
    callId: 'a84bb3c0@127.0.0.1',
    direction: 'in' as const,
    line: '116117' as const,
    remote: '+33612345678',
    arrivedAt: T0,
    answeredAt: T0 + 4_000,
    endedAt: T0 + 90_000,
    holds: [{ from: T0 + 30_000, to: T0 + 40_000 }],
    ...over,
  });

  it('records each call once, with its agent, and keeps it after closing', () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'record_call', call: call() }, arm);
    expect(c.calls).toEqual([{ ...call(), agent: 'Alice ARM', recordedBy: 'arm' }]);
    const again = run(c, { type: 'record_call', call: call() }, arm);
    expect(!again.ok && again.error.code).toBe('conflict');
    c = must(c, { type: 'send_to_regulation' }, arm);
    c = must(c, { type: 'take' }, drA);
    c = must(c, { type: 'decide', decision: { code: 'PHONE_ADVICE' } }, drA);
    c = must(c, { type: 'close' }, drA);
    // The physician's call back after closing is part of the record too.
    c = must(c, { type: 'record_call', call: { ...call({ callId: 'cb-1', answeredAt: null }), direction: 'out' } }, drA);
    expect(c.calls!.map((x) => [x.callId, x.agent, x.direction])).toEqual([
      ['a84bb3c0@127.0.0.1', 'Alice ARM', 'in'],
      ['cb-1', 'Dr Martin', 'out'],
    ]);
    expect(c.status).toBe('closed');
  });

  it('refuses a call whose times do not hold together, and a supervisor recording calls', () => {
    const c = must(undefined, { type: 'open', line: '116117' }, arm);
    const backwards = run(c, { type: 'record_call', call: call({ endedAt: T0 - 1 }) }, arm);
    expect(!backwards.ok && backwards.error.code).toBe('invalid_input');
    const answeredAfterEnd = run(c, { type: 'record_call', call: call({ answeredAt: T0 + 100_000 }) }, arm);
    expect(!answeredAfterEnd.ok && answeredAfterEnd.error.code).toBe('invalid_input');
    const sup = run(c, { type: 'record_call', call: call() }, supervisor);
    expect(!sup.ok && sup.error.code).toBe('forbidden');
  });
});

describe('handing a case to a colleague', () => {
  const regulated = () => {
    let c = must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm);
    c = must(c, { type: 'send_to_regulation' }, arm);
    return must(c, { type: 'take' }, drA);
  };

  it('the physician who holds the case hands it on; the colleague then holds it and decides', () => {
    let c = must(regulated(), { type: 'hand_over', to: drB }, drA);
    expect(c.takenBy).toEqual(drB);
    expect(c.status).toBe('under_regulation');
    const former = run(c, { type: 'decide', decision: { code: 'PHONE_ADVICE' } }, drA);
    expect(!former.ok && former.error.code).toBe('forbidden');
    c = must(c, { type: 'decide', decision: { code: 'PHONE_ADVICE' } }, drB);
    expect(c.decidedBy).toEqual(drB);
  });

  it('only the holder or a supervisor hands it over, only to another physician', () => {
    const c = regulated();
    const other = run(c, { type: 'hand_over', to: drB }, drB);
    expect(!other.ok && other.error.code).toBe('forbidden');
    expect(must(c, { type: 'hand_over', to: drB }, supervisor).takenBy).toEqual(drB);
    const toArm = run(c, { type: 'hand_over', to: arm }, drA);
    expect(!toArm.ok && toArm.error.code).toBe('invalid_input');
    const toSelf = run(c, { type: 'hand_over', to: drA }, drA);
    expect(!toSelf.ok && toSelf.error.code).toBe('invalid_input');
    const waiting = must(must(undefined, { type: 'open', line: '116117', fields: fullScreening }, arm), { type: 'send_to_regulation' }, arm);
    const notTaken = run(waiting, { type: 'hand_over', to: drB }, supervisor);
    expect(!notTaken.ok && notTaken.error.code).toBe('invalid_transition');
  });
});
