/**
 * What a role that watches the center without treating its patients receives in the sync stream:
 * the least it needs (issue 18: "a supervisor's wall screen needs counts, not identities"). The
 * queue's shape stays (status, priority, track, reason code, commune and sector, times, who holds
 * what, the decision's kind); who the patient is, how to reach them and what was said are withheld:
 * names, birth date, callback number, caller, address and access notes, the treating doctor, free
 * texts (reason, notes, comments, reasons given), the numbers of the calls, the partner's message
 * bodies. A supervisor reads a whole case on demand, from the server, and that read is audited.
 *
 * Redacting the events and folding them gives the redacted fold of the whole events
 * (`redactCase(replay(events))` equals `replay(events.map(redactEvent))`): a workstation that starts
 * from a redacted snapshot and applies redacted events holds what it would have redacted itself.
 */
import type { CaseEvent } from '../schemas/case-events.js';
import type { Decision, RegulationCase, ScreeningFields } from '../schemas/case.js';
import type { CenterCall } from '../schemas/call-log.js';
import type { CallbackEntry } from '../schemas/lines.js';
import type { ServerWsFrame } from '../sync-protocol/messages.js';

/**
 * Roles that watch the center without treating its patients: their sync stream (snapshot, pull,
 * live frames) is redacted; they read a whole case on demand, through the audited case-history
 * route, and their workstation keeps it in memory only.
 */
export const WATCHING_ROLES: readonly string[] = ['supervisor'];
export const watches = (role: string): boolean => WATCHING_ROLES.includes(role);

/** Shown in place of a text withheld. */
export const WITHHELD = '(masqué)';

/** Screening fields that are withheld whole (their versions and authors too). */
const WITHHELD_FIELDS = ['callbackPhone', 'caller', 'reasonText', 'treatingDoctor'] as const;

export function redactFields(f: ScreeningFields): ScreeningFields {
  const out: ScreeningFields = { ...f };
  for (const k of WITHHELD_FIELDS) delete out[k];
  if (f.patient) {
    const { ageYears, sex } = f.patient;
    out.patient = { ...(ageYears !== undefined ? { ageYears } : {}), ...(sex !== undefined ? { sex } : {}) };
  }
  if (f.location) {
    const { inseeCode, communeName, postalCode, departmentCode, sectorId } = f.location;
    out.location = {
      ...(inseeCode !== undefined ? { inseeCode } : {}),
      ...(communeName !== undefined ? { communeName } : {}),
      ...(postalCode !== undefined ? { postalCode } : {}),
      ...(departmentCode !== undefined ? { departmentCode } : {}),
      ...(sectorId !== undefined ? { sectorId } : {}),
    };
  }
  return out;
}

/** The decision's kind and its logistics (pharmacy, effector, time); not its comment nor the place. */
function redactDecision(d: Decision): Decision {
  const { comment: _comment, place: _place, destination: _destination, ...kept } = d;
  return kept;
}

const withoutBody = <M extends { payload: Record<string, unknown> }>(m: M): M => ({ ...m, payload: {} });

export function redactEvent<E extends CaseEvent>(e: E): E {
  const r = e as CaseEvent;
  switch (r.kind) {
    case 'case.opened':
      return { ...r, payload: { ...r.payload, fields: redactFields(r.payload.fields) } } as E;
    case 'case.fields_updated':
      return { ...r, payload: { ...r.payload, changes: redactFields(r.payload.changes) } } as E;
    case 'case.note_added':
      return { ...r, payload: { text: WITHHELD } } as E;
    case 'case.decided':
      return { ...r, payload: { decision: redactDecision(r.payload.decision) } } as E;
    case 'case.cancelled':
    case 'case.transferred_samu':
    case 'case.reopened':
      return { ...r, payload: { reason: WITHHELD } } as E;
    case 'case.call_recorded':
      return { ...r, payload: { call: { ...r.payload.call, remote: WITHHELD } } } as E;
    case 'case.hand_over_answered':
      return { ...r, payload: { accept: r.payload.accept, ...(r.payload.reason !== undefined ? { reason: WITHHELD } : {}) } } as E;
    case 'case.hub_opened':
      return {
        ...r,
        payload: { ...r.payload, fields: redactFields(r.payload.fields), notes: r.payload.notes.map((n) => ({ ...n, text: WITHHELD })), message: withoutBody(r.payload.message) },
      } as E;
    case 'case.hub_updated': {
      const { previous, ...rest } = r.payload;
      return {
        ...r,
        payload: {
          ...rest,
          changes: redactFields(r.payload.changes),
          ...(previous ? { previous: { values: redactFields(previous.values), setBy: previous.setBy } } : {}),
          notes: r.payload.notes.map((n) => ({ ...n, text: WITHHELD })),
          message: withoutBody(r.payload.message),
        },
      } as E;
    }
    default:
      return e;
  }
}

export function redactCase(c: RegulationCase): RegulationCase {
  const out: RegulationCase = { ...c, fields: redactFields(c.fields), notes: c.notes.map((n) => ({ ...n, text: WITHHELD })) };
  const versions = { ...c.fieldVersions };
  for (const k of WITHHELD_FIELDS) delete versions[k];
  out.fieldVersions = versions;
  if (c.fieldAuthors) {
    const authors = { ...c.fieldAuthors };
    for (const k of WITHHELD_FIELDS) delete authors[k];
    out.fieldAuthors = authors;
  }
  if (c.decision) out.decision = redactDecision(c.decision);
  if (c.statusReason !== undefined) out.statusReason = WITHHELD;
  if (c.calls) out.calls = c.calls.map((call) => ({ ...call, remote: WITHHELD }));
  if (c.hub) {
    const { handOverReason, ...hub } = c.hub;
    out.hub = { ...hub, ...(handOverReason !== undefined ? { handOverReason: WITHHELD } : {}) };
  }
  return out;
}

/** A call of the center as a watching role sees it: its line, state, times and agents; not the numbers. */
export const redactCall = (c: CenterCall): CenterCall => ({ ...c, remote: WITHHELD, referredBy: c.referredBy === null ? null : WITHHELD });

/** An entry of the callback list without the caller's number (its count, waits and state stay). */
export const redactCallback = (c: CallbackEntry): CallbackEntry => ({ ...c, number: WITHHELD });

/** A realtime frame as a watching role receives it (the frames without patient data as they are). */
export function redactFrame(frame: ServerWsFrame): ServerWsFrame {
  switch (frame.type) {
    case 'events':
      return { ...frame, events: frame.events.map(redactEvent) };
    case 'calls':
      return { ...frame, calls: frame.calls.map(redactCall) };
    case 'callbacks':
      return { ...frame, callbacks: frame.callbacks.map(redactCallback) };
    default:
      return frame;
  }
}
