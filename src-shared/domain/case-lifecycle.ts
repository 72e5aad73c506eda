/**
 * The regulation case lifecycle, as two pure functions shared by the workstation and the server:
 *  - decide(state, command, context) → the event to append, or a domain error;
 *  - applyEvent(state, event) → the new state (the projection is only ever written by this).
 * No I/O, no clock reads: the caller passes `now`.
 */
import {
  STATUS_LABELS,
  DECISIONS,
  DECISION_FIELD_LABELS,
  type ActorRole,
  type Priority,
  type Track,
} from './codes.js';
import { err, ok, type Result } from './result.js';
import type { CaseStatus, FieldSource, HubCaseMessage, HubLink, RegulationCase, ScreeningFields } from '../schemas/case.js';
import type { CaseCommand, CaseEvent, CaseEventDraft, HubDelivery } from '../schemas/case-events.js';
import { DELIVERY_RANK } from './hubsante-protocol.js';
import type { Actor } from '../schemas/case.js';

export interface CommandContext {
  actor: Actor;
  workstationId: string;
  /** Event id (client-generated UUIDv7); also the case id for an `open` command. */
  eventId: string;
  caseId: string;
  /** The clock of whoever decides (the workstation, or the server). */
  now: number;
  /** The author's clock, when the server decides a command written earlier on a workstation. */
  clientTime?: number;
}

export { STATUS_LABELS };

/** The statuses a case ends in (closed, cancelled, handed to the SAMU). */
export const TERMINAL_STATUSES: readonly CaseStatus[] = ['closed', 'cancelled', 'transferred_samu'];
const TERMINAL: ReadonlySet<CaseStatus> = new Set(TERMINAL_STATUSES);
export const isTerminal = (status: CaseStatus): boolean => TERMINAL.has(status);

/** P0 and P1 go to the SAMU's urgentist; P2 and P3 to liberal regulation. */
export function trackForPriority(priority: Priority): Track {
  return priority === 'P0' || priority === 'P1' ? 'samu' : 'liberal';
}

/** Which roles may issue each command. */
const ALLOWED_ROLES: Record<CaseCommand['type'], readonly ActorRole[]> = {
  open: ['arm', 'physician'],
  update_fields: ['arm', 'physician'],
  add_note: ['arm', 'physician', 'supervisor'],
  send_to_regulation: ['arm', 'physician'],
  take: ['physician'],
  release: ['physician'],
  decide: ['physician'],
  close: ['physician'],
  cancel: ['arm', 'physician', 'supervisor'],
  transfer_samu: ['arm', 'physician'],
  reopen: ['physician', 'supervisor'],
  link_case: ['arm', 'physician'],
  record_call: ['arm', 'physician'],
  hand_over: ['physician', 'supervisor'],
  answer_hand_over: ['arm', 'physician'],
  hub_open: ['hub'],
  hub_update: ['hub'],
  hub_delivery: ['hub'],
};

const ALL_STATUSES: readonly CaseStatus[] = ['new_call', 'screening', 'waiting_regulation', 'under_regulation', 'decided', 'closed', 'cancelled', 'transferred_samu'];

/** Status → commands that are legal in it (besides role checks). */
const LEGAL_IN: Record<Exclude<CaseCommand['type'], 'open'>, readonly CaseStatus[]> = {
  update_fields: ['new_call', 'screening', 'waiting_regulation', 'under_regulation'],
  add_note: ['new_call', 'screening', 'waiting_regulation', 'under_regulation', 'decided', 'closed', 'cancelled', 'transferred_samu'],
  send_to_regulation: ['new_call', 'screening'],
  take: ['waiting_regulation'],
  release: ['under_regulation'],
  decide: ['under_regulation'],
  close: ['decided'],
  cancel: ['new_call', 'screening', 'waiting_regulation', 'under_regulation'],
  transfer_samu: ['screening', 'waiting_regulation', 'under_regulation', 'decided'],
  reopen: ['closed', 'cancelled', 'transferred_samu'],
  link_case: ['new_call', 'screening', 'waiting_regulation', 'under_regulation', 'decided'],
  // A call back after the decision or the closing is still part of the record.
  record_call: ['new_call', 'screening', 'waiting_regulation', 'under_regulation', 'decided', 'closed', 'cancelled', 'transferred_samu'],
  hand_over: ['under_regulation'],
  answer_hand_over: ['new_call', 'screening', 'waiting_regulation', 'under_regulation', 'decided'],
  hub_open: [],
  // The partner's changes and our delivery steps are part of the record whatever the status.
  hub_update: ALL_STATUSES,
  hub_delivery: ALL_STATUSES,
};

/** What a case must hold before an ARM sends it to regulation. */
export function missingForRegulation(fields: ScreeningFields): string[] {
  const missing: string[] = [];
  if (!fields.callbackPhone) missing.push('numéro de rappel');
  if (!fields.reasonCode) missing.push('motif d’appel');
  if (!fields.priority) missing.push('priorité');
  if (!fields.location?.inseeCode) missing.push('commune');
  const p = fields.patient;
  if (!p?.lastName && !p?.firstName) missing.push('nom ou prénom du patient');
  if (!p?.birthDate && p?.ageYears === undefined) missing.push('date de naissance ou âge');
  return missing;
}

/** Decision fields each decision needs. */
export function missingDecisionFields(decision: { code: keyof typeof DECISIONS } & Record<string, unknown>): string[] {
  return DECISIONS[decision.code].requires
    .filter((field) => decision[field] === undefined || decision[field] === '')
    .map((field) => DECISION_FIELD_LABELS[field]);
}

/** Turn a command into the event it produces, or explain why it cannot. */
export function decide(
  state: RegulationCase | undefined,
  command: CaseCommand,
  ctx: CommandContext,
): Result<CaseEventDraft> {
  const role = ctx.actor.role;
  if (!ALLOWED_ROLES[command.type].includes(role)) {
    return err('forbidden', `Action « ${command.type} » non autorisée pour le rôle ${role}.`);
  }
  // Every key written out: `{ ...base, kind, payload }` (a spread, then keys the spread lacks) costs
  // V8 ~0.7 kB an event instead of ~0.1 (measured on Node 20), on the server's hottest path.
  const draft = <K extends CaseEventDraft['kind']>(kind: K, payload: Extract<CaseEventDraft, { kind: K }>['payload']): Extract<CaseEventDraft, { kind: K }> =>
    ({ id: ctx.eventId, caseId: ctx.caseId, actor: ctx.actor, workstationId: ctx.workstationId, clientTime: ctx.clientTime ?? ctx.now, kind, payload }) as Extract<CaseEventDraft, { kind: K }>;
  if (command.type === 'open') {
    if (state) return err('conflict', 'Ce dossier existe déjà.');
    return ok(draft('case.opened', { line: command.line, fields: command.fields ?? {} }));
  }
  if (command.type === 'hub_open') {
    if (state) return err('conflict', 'Ce dossier existe déjà.', { hubCaseId: command.link.caseId });
    return ok(draft('case.hub_opened', { line: command.line, fields: command.fields, notes: command.notes, link: command.link, message: command.message }));
  }
  if (!state) return err('not_found', 'Dossier introuvable.');
  if (command.type === 'take' && state.takenBy) {
    return err('already_taken', `Dossier déjà pris par ${state.takenBy.displayName}.`, { takenBy: state.takenBy });
  }
  if (!LEGAL_IN[command.type].includes(state.status)) {
    return err(
      'invalid_transition',
      `Impossible dans l’état « ${STATUS_LABELS[state.status]} ».`,
      { status: state.status, command: command.type },
    );
  }
  switch (command.type) {
    case 'update_fields': {
      // Field-level merge: a field changed by another author after the version the user saw is a conflict.
      const conflicts = Object.keys(command.changes).filter((field) => {
        const changedAt = state.fieldVersions[field];
        return changedAt !== undefined && changedAt > command.baseVersion;
      });
      if (command.baseVersion > state.version) {
        return err('invalid_input', 'Version de base inconnue pour ce dossier.', { baseVersion: command.baseVersion });
      }
      if (conflicts.length > 0) {
        return err('conflict', 'Ces champs ont été modifiés entre-temps par un autre poste : ' + conflicts.join(', '), {
          fields: conflicts,
          current: Object.fromEntries(conflicts.map((f) => [f, state.fields[f as keyof ScreeningFields]])),
        });
      }
      return ok(draft('case.fields_updated', { changes: command.changes, baseVersion: command.baseVersion }));
    }
    case 'add_note':
      return ok(draft('case.note_added', { text: command.text }));
    case 'send_to_regulation': {
      const missing = missingForRegulation(state.fields);
      if (missing.length > 0) {
        return err('incomplete', 'À compléter avant l’envoi en régulation : ' + missing.join(', ') + '.', { missing });
      }
      return ok(draft('case.sent_to_regulation', {}));
    }
    case 'take':
      return ok(draft('case.taken', {}));
    case 'release':
    case 'decide':
    case 'close': {
      if (command.type !== 'close' && state.takenBy?.userId !== ctx.actor.userId) {
        return err('forbidden', `Ce dossier est régulé par ${state.takenBy?.displayName ?? 'un autre médecin'}.`);
      }
      if (command.type === 'release') return ok(draft('case.released', {}));
      if (command.type === 'close') return ok(draft('case.closed', {}));
      const missing = missingDecisionFields(command.decision);
      if (missing.length > 0) {
        return err('incomplete', 'Décision incomplète : ' + missing.join(', ') + '.', { missing });
      }
      return ok(draft('case.decided', { decision: command.decision }));
    }
    case 'cancel':
      return ok(draft('case.cancelled', { reason: command.reason }));
    case 'transfer_samu':
      return ok(draft('case.transferred_samu', { reason: command.reason }));
    case 'reopen':
      return ok(draft('case.reopened', { reason: command.reason }));
    case 'link_case':
      if (command.linkedCaseId === state.id) return err('invalid_input', 'Un dossier ne peut pas être lié à lui-même.');
      if (state.linkedCaseIds.includes(command.linkedCaseId)) return err('conflict', 'Dossiers déjà liés.');
      return ok(draft('case.linked', { linkedCaseId: command.linkedCaseId }));
    case 'hand_over': {
      // The physician who holds the case hands it on; a supervisor may reassign it.
      if (ctx.actor.role !== 'supervisor' && state.takenBy?.userId !== ctx.actor.userId) {
        return err('forbidden', `Ce dossier est régulé par ${state.takenBy?.displayName ?? 'un autre médecin'}.`);
      }
      if (command.to.role !== 'physician') return err('invalid_input', 'Un dossier se confie à un médecin régulateur.');
      if (command.to.userId === state.takenBy?.userId) return err('invalid_input', 'Ce médecin régule déjà ce dossier.');
      return ok(draft('case.handed_over', { to: command.to }));
    }
    case 'answer_hand_over':
      if (state.hub?.handOver !== 'to_us_pending') return err('invalid_transition', 'Aucune prise en charge du SAMU n’attend de réponse sur ce dossier.');
      if (!command.accept && !command.reason) return err('incomplete', 'Motif du refus requis.', { missing: ['motif'] });
      return ok(draft('case.hand_over_answered', { accept: command.accept, ...(command.reason ? { reason: command.reason } : {}) }));
    case 'hub_update': {
      const changes = partnerChanges(state.fields, command.changes);
      const previous = replacedValues(state, changes);
      return ok(draft('case.hub_updated', { changes, ...(previous ? { previous } : {}), notes: command.notes, ...(command.owner ? { owner: command.owner } : {}), ours: command.ours, message: command.message }));
    }
    case 'hub_delivery':
      return ok(draft('case.hub_delivery', { delivery: command.delivery }));
    case 'record_call': {
      const c = command.call;
      if (c.endedAt < c.arrivedAt || (c.answeredAt !== null && (c.answeredAt < c.arrivedAt || c.answeredAt > c.endedAt))) {
        return err('invalid_input', 'Appel incohérent : l’heure de fin ou de réponse précède l’arrivée.');
      }
      if (state.calls?.some((x) => x.callId === c.callId)) return err('conflict', 'Cet appel est déjà enregistré dans le dossier.');
      return ok(draft('case.call_recorded', { call: c }));
    }
  }
}

/** Human reference, the same on every workstation: opening date (UTC) + the id's last 6 hex digits. */
export function caseReference(caseId: string, openedAt: number): string {
  const d = new Date(openedAt);
  const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${ymd}-${caseId.replace(/-/g, '').slice(-6).toUpperCase()}`;
}

function mergeFields(current: ScreeningFields, changes: ScreeningFields): ScreeningFields {
  const next: ScreeningFields = { ...current };
  for (const [key, value] of Object.entries(changes) as [keyof ScreeningFields, unknown][]) {
    (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

/** The screening fields made of parts (a partner may send some parts of them and not others). */
const COMPOSITE_FIELDS = new Set<keyof ScreeningFields>(['caller', 'patient', 'location', 'treatingDoctor']);

/**
 * What a partner's update changes, part by part: what it sends replaces ours, what it leaves out stays
 * (a SAMU that sends the address keeps our sector and access notes; a patient's name keeps the age),
 * and a value it sends again unchanged is no change. The event records the values the case ends with.
 */
export function partnerChanges(current: ScreeningFields, incoming: ScreeningFields): ScreeningFields {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(incoming) as [keyof ScreeningFields, unknown][]) {
    const mine = current[key];
    const next = COMPOSITE_FIELDS.has(key) && isRecord(mine) && isRecord(value) ? { ...mine, ...value } : value;
    if (!sameValue(mine, next)) out[key] = next;
  }
  return out as ScreeningFields;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Two field values are the same whatever the order of their parts. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

/** The values a partner's changes replace (those that were set), and who had set each. */
function replacedValues(state: RegulationCase, changes: ScreeningFields): { values: ScreeningFields; setBy: Record<string, FieldSource> } | null {
  const keys = (Object.keys(changes) as (keyof ScreeningFields)[]).filter((k) => state.fields[k] !== undefined);
  if (keys.length === 0) return null;
  const values: Record<string, unknown> = {};
  const setBy: Record<string, FieldSource> = {};
  for (const k of keys) {
    values[k] = state.fields[k];
    const source = fieldSource(state, k);
    if (source) setBy[k] = source;
  }
  return { values: values as ScreeningFields, setBy };
}

/** Who set a field's current value: the author of the version at which it last changed. */
export function fieldSource(state: RegulationCase, field: keyof ScreeningFields): FieldSource | undefined {
  const v = state.fieldVersions[field];
  return v === undefined ? undefined : state.fieldAuthors?.[String(v)];
}

/**
 * The authors of the versions that still hold a field's value, this event's included. Kept by
 * version, not by field: one entry for everything an ARM typed at once (a case's data stays small).
 */
function authored(before: RegulationCase['fieldAuthors'], fieldVersions: Record<string, number>, version: number, actor: Actor, at: number): Record<string, FieldSource> {
  const live = new Set(Object.values(fieldVersions).map(String));
  const out: Record<string, FieldSource> = {};
  for (const [v, a] of Object.entries(before ?? {})) if (live.has(v)) out[v] = a;
  out[String(version)] = { by: actor.displayName, role: actor.role, at };
  return out;
}

/** A case's log is whole when it starts with the case's opening (a snapshot brings only what follows). */
export const isCompleteLog = (events: readonly { kind: string }[]): boolean =>
  events[0]?.kind === 'case.opened' || events[0]?.kind === 'case.hub_opened';

/** When an event happened: the server's clock once it accepted it, the author's until then. */
export const eventTime = (event: CaseEvent | CaseEventDraft): number => event.serverTime ?? event.clientTime;

/** Apply one event to the projection. Events are trusted here: they passed decide() or the server. */
export function applyEvent(state: RegulationCase | undefined, event: CaseEvent | CaseEventDraft): RegulationCase {
  const at = eventTime(event);
  if (event.kind === 'case.opened') {
    const fieldVersions: Record<string, number> = {};
    for (const key of Object.keys(event.payload.fields)) fieldVersions[key] = 1;
    return {
      id: event.caseId,
      // The reference comes from the author's clock: it must never change once shown.
      reference: caseReference(event.caseId, event.clientTime),
      status: 'new_call',
      openedAt: at,
      openedBy: event.actor,
      updatedAt: at,
      version: 1,
      fields: { ...event.payload.fields, line: event.payload.line },
      fieldVersions: { ...fieldVersions, line: 1 },
      fieldAuthors: authored(undefined, {}, 1, event.actor, at),
      notes: [],
      linkedCaseIds: [],
    };
  }
  if (event.kind === 'case.hub_opened') {
    const { link, message } = event.payload;
    return {
      id: event.caseId,
      reference: caseReference(event.caseId, event.clientTime),
      // Sent by the partner for regulation: straight into the liberal queue, marked as from the SAMU.
      status: 'waiting_regulation',
      track: 'liberal',
      waitingSince: at,
      openedAt: at,
      openedBy: event.actor,
      updatedAt: at,
      version: 1,
      fields: { ...event.payload.fields, line: event.payload.line },
      fieldVersions: Object.fromEntries([...Object.keys(event.payload.fields), 'line'].map((k) => [k, 1])),
      fieldAuthors: authored(undefined, {}, 1, event.actor, at),
      notes: event.payload.notes.map((n, i) => ({ eventId: `${event.id}#${i}`, at, author: n.author ?? link.peerName ?? link.peer, role: 'hub' as const, text: n.text })),
      linkedCaseIds: [],
      hub: {
        caseId: link.caseId,
        peer: link.peer,
        ...(link.peerName ? { peerName: link.peerName } : {}),
        owner: link.owner,
        createdBy: 'peer',
        ...(link.owner === link.ours ? { handOver: 'to_us_pending' as const } : {}),
        messages: [inbound(message, at)],
      },
    };
  }
  if (!state) throw new Error(`event ${event.kind} for a case that was never opened (${event.caseId})`);
  const version = state.version + 1;
  const next: RegulationCase = { ...state, version, updatedAt: at };
  switch (event.kind) {
    case 'case.fields_updated': {
      next.fields = mergeFields(state.fields, event.payload.changes);
      next.fieldVersions = { ...state.fieldVersions };
      for (const key of Object.keys(event.payload.changes)) next.fieldVersions[key] = version;
      next.fieldAuthors = authored(state.fieldAuthors, next.fieldVersions, version, event.actor, at);
      if (state.status === 'new_call') next.status = 'screening';
      break;
    }
    case 'case.note_added':
      next.notes = [
        ...state.notes,
        { eventId: event.id, at, author: event.actor.displayName, role: event.actor.role, text: event.payload.text },
      ];
      break;
    case 'case.sent_to_regulation':
      next.status = 'waiting_regulation';
      // decide() refused to send a case without a priority.
      next.track = trackForPriority(state.fields.priority ?? 'P2');
      next.waitingSince = at;
      break;
    case 'case.taken':
      next.status = 'under_regulation';
      next.takenBy = event.actor;
      break;
    case 'case.released':
      next.status = 'waiting_regulation';
      delete next.takenBy;
      break;
    case 'case.decided':
      next.status = 'decided';
      next.decision = event.payload.decision;
      next.decidedAt = at;
      next.decidedBy = event.actor;
      next.firstDecidedAt ??= at;
      break;
    case 'case.closed':
      next.status = 'closed';
      next.closedAt = at;
      break;
    case 'case.cancelled':
      next.status = 'cancelled';
      next.statusReason = event.payload.reason;
      next.closedAt = at;
      delete next.takenBy;
      break;
    case 'case.transferred_samu':
      next.status = 'transferred_samu';
      next.track = 'samu';
      next.statusReason = event.payload.reason;
      next.closedAt = at;
      delete next.takenBy;
      break;
    case 'case.reopened':
      next.status = 'waiting_regulation';
      next.statusReason = event.payload.reason;
      next.waitingSince = at;
      next.reopenCount = (state.reopenCount ?? 0) + 1;
      delete next.closedAt;
      delete next.takenBy;
      break;
    case 'case.linked':
      next.linkedCaseIds = [...state.linkedCaseIds, event.payload.linkedCaseId];
      break;
    case 'case.handed_over':
      next.takenBy = event.payload.to;
      break;
    case 'case.call_recorded':
      next.calls = [...(state.calls ?? []), { ...event.payload.call, agent: event.actor.displayName, recordedBy: event.actor.role }];
      break;
    case 'case.hand_over_answered': {
      const hub = state.hub!;
      if (event.payload.accept) {
        next.hub = { ...hub, handOver: 'to_us_accepted' };
      } else {
        // Handed back: the partner regulates it again.
        next.hub = { ...hub, handOver: 'to_us_refused', owner: hub.peer, ...(event.payload.reason ? { handOverReason: event.payload.reason } : {}) };
        next.status = 'transferred_samu';
        next.track = 'samu';
        next.statusReason = `Prise en charge refusée : ${event.payload.reason ?? ''}`.trim();
        next.closedAt = at;
        delete next.takenBy;
      }
      break;
    }
    case 'case.hub_updated':
      applyHubUpdate(state, next, event.payload, at, event.id, event.actor);
      break;
    case 'case.hub_delivery':
      next.hub = withDelivery(state.hub, event.payload.delivery, at);
      break;
  }
  return next;
}

const INBOUND_LABELS: Record<string, string> = {
  createCaseHealth: 'Dossier reçu du partenaire',
  createCaseHealthUpdate: 'Mise à jour reçue du partenaire',
  resourcesInfo: 'Ressources engagées par le partenaire',
  resourcesStatus: 'Statut des ressources du partenaire',
  resourcesRequest: 'Demande de ressources du partenaire',
  resourcesResponse: 'Réponse à une demande de ressources',
};

function inbound(message: { distributionId: string; useCase: string }, at: number): HubCaseMessage {
  const label = INBOUND_LABELS[message.useCase] ?? `Message reçu (${message.useCase})`;
  return { distributionId: message.distributionId, direction: 'in', useCase: message.useCase, label, at };
}

/** The partner's RS-EDA-MAJ: its changes, its notes, and what its `owner` says about the hand-over. */
function applyHubUpdate(state: RegulationCase, next: RegulationCase, p: Extract<CaseEventDraft, { kind: 'case.hub_updated' }>['payload'], at: number, eventId: string, actor: Actor): void {
  const peer = state.hub?.peer ?? p.message.senderId;
  const changed = Object.keys(p.changes);
  const replacedHere = Object.entries(p.previous?.setBy ?? {}).filter(([, s]) => s.role !== 'hub').map(([k]) => k);
  const message = { ...inbound(p.message, at), ...(changed.length ? { changed } : {}), ...(replacedHere.length ? { replacedHere } : {}) };
  const hub: HubLink = state.hub
    ? { ...state.hub, messages: [...state.hub.messages, message] }
    : { caseId: String(p.message.payload.caseId ?? ''), peer, owner: p.owner ?? peer, createdBy: 'us', messages: [message] };
  if (Object.keys(p.changes).length > 0) {
    next.fields = mergeFields(state.fields, p.changes);
    next.fieldVersions = { ...state.fieldVersions };
    for (const key of Object.keys(p.changes)) next.fieldVersions[key] = next.version;
    next.fieldAuthors = authored(state.fieldAuthors, next.fieldVersions, next.version, actor, at);
  }
  if (p.notes.length > 0) {
    next.notes = [...state.notes, ...p.notes.map((n, i) => ({ eventId: `${eventId}#${i}`, at, author: n.author ?? state.hub?.peerName ?? peer, role: 'hub' as const, text: n.text }))];
  }
  const before = state.hub?.owner ?? hub.owner;
  const owner = p.owner ?? before;
  if (owner !== before) {
    if (owner === p.ours) {
      if (hub.handOver === 'to_peer_pending') {
        // The partner put our id back: it refuses the case we handed over.
        hub.handOver = 'to_peer_refused';
        next.statusReason = 'Transfert refusé par le SAMU';
      } else {
        hub.handOver = 'to_us_pending';
        next.statusReason = 'Confié par le SAMU';
      }
      if (isTerminal(state.status) || state.status === 'decided') {
        next.status = 'waiting_regulation';
        next.track = 'liberal';
        next.waitingSince = at;
        delete next.closedAt;
      }
    } else if (!isTerminal(state.status)) {
      // The partner takes the case back.
      next.status = 'transferred_samu';
      next.track = 'samu';
      next.statusReason = 'Repris par le SAMU';
      next.closedAt = at;
      delete next.takenBy;
    }
  } else if (owner === peer && hub.handOver === 'to_peer_pending') {
    // The partner kept its own id as owner: the functional acknowledgement of our transfer.
    hub.handOver = 'to_peer_accepted';
  }
  hub.owner = owner;
  next.hub = hub;
}

/** A delivery step of one of our messages: the case's link is created by the first, steps only move forward. */
function withDelivery(hub: HubLink | undefined, d: HubDelivery, at: number): HubLink {
  const link: HubLink = hub ?? { caseId: d.link.caseId, peer: d.link.peer, ...(d.link.peerName ? { peerName: d.link.peerName } : {}), owner: d.link.owner, createdBy: 'us', messages: [] };
  const out = { ...link, messages: [...link.messages] };
  if (d.link.owner !== link.owner || (!hub && d.link.owner === d.link.peer)) {
    out.owner = d.link.owner;
    if (d.link.owner === link.peer) out.handOver = 'to_peer_pending';
  }
  const i = out.messages.findIndex((m) => m.distributionId === d.distributionId && m.direction === 'out');
  const prev: HubCaseMessage = i >= 0 ? out.messages[i]! : { distributionId: d.distributionId, direction: 'out', useCase: d.useCase, label: d.label, at };
  // Steps arrive in any order (the partner's acknowledgement may overtake the broker's confirm): never back.
  const forward = d.state && (!prev.state || DELIVERY_RANK[d.state] >= DELIVERY_RANK[prev.state]);
  const merged: HubCaseMessage = {
    ...prev,
    ...(forward ? { state: d.state } : {}),
    ...(d.steps || prev.steps ? { steps: { ...d.steps, ...prev.steps } } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.overdue !== undefined ? { overdue: d.overdue } : {}),
  };
  if (i >= 0) out.messages[i] = merged;
  else out.messages.push(merged);
  return out;
}

/** Rebuild a case from its whole log (used by tests and by a projection rebuild). */
export function replay(events: readonly (CaseEvent | CaseEventDraft)[]): RegulationCase | undefined {
  let state: RegulationCase | undefined;
  for (const e of events) state = applyEvent(state, e);
  return state;
}

/** Age in whole years at `at` (ms), from an ISO birth date, in UTC calendar terms. */
export function ageInYears(birthDate: string, at: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const now = new Date(at);
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}
