/**
 * A Permanence case as a Hub Santé `createCaseHealth` (RS-EDA, model 3.4.1), and back. Codes come
 * from the Hub's enumerations (RS-EDA.schema.json): origin, priority, attribution (DRM.MRL: a case
 * of liberal regulation), caller type, decision type, resource and orientation types. Our reason
 * codes travel as text (the motive nomenclature M08–M20 is not pinned here yet). What the Hub
 * sends that we do not model is kept by the caller with the original message.
 */
import type { CallerRelationship, DecisionCode, Priority } from './codes.js';
import { DECISIONS, REASONS } from './codes.js';
import { hubDateTime } from './hubsante-envelope.js';
import type { RegulationCase, ScreeningFields } from '../schemas/case.js';
import type { CaseEventDraft } from '../schemas/case-events.js';

export interface HubCaseContext {
  /** Our Hub client id, e.g. "fr.health.samu210" (configuration). */
  clientId: string;
  timeZone: string;
  departmentCode: string;
}

export const LINE_TO_ORIGIN: Record<NonNullable<ScreeningFields['line']>, string> = { '116117': '116117', '15': '15', professional: 'AUTREC15', other: 'AUTRE' };
const ORIGIN_TO_LINE: Record<string, NonNullable<ScreeningFields['line']>> = { '116117': '116117', '15': '15', PDSSOS: '116117', AUTREC15: 'professional' };

export const CALLER_TO_HUB: Record<CallerRelationship, string> = {
  self: 'SUJET',
  parent: 'FAMILLE',
  family: 'FAMILLE',
  neighbour: 'TIERS',
  nurse: 'SANTE.INF',
  physician: 'MED',
  institution: 'TIERS',
  other: 'TIERS',
};
const HUB_TO_CALLER: Record<string, CallerRelationship> = { SUJET: 'self', FAMILLE: 'family', TIERS: 'other', 'SANTE.INF': 'nurse', MED: 'physician', 'MED.MRL': 'physician', 'MED.MEDSOS': 'physician', 'MED.EFFML': 'physician' };

/** Our decisions as the Hub's decision type, resource type and orientation type. */
export const DECISION_TO_HUB: Record<DecisionCode, { decisionType: string; resourceType?: string; orientationType?: string }> = {
  PHONE_ADVICE: { decisionType: 'CONSEIL' },
  PRESCRIPTION: { decisionType: 'PMT', resourceType: 'LIBERAL.PHARM' },
  CONSULTATION: { decisionType: 'ORIENT', resourceType: 'LIBERAL.MG', orientationType: 'CABINET' },
  HOME_VISIT: { decisionType: 'INTER', resourceType: 'LIBERAL.MG', orientationType: 'DOMICILE' },
  AMBULANCE: { decisionType: 'INTER', resourceType: 'TSU' },
  EMERGENCY_DEPARTMENT: { decisionType: 'ORIENT', orientationType: 'URGENCES' },
  TRANSFER_SAMU: { decisionType: 'PASPLUS' },
};

const SEX_TO_HUB = { F: 'F', M: 'M', U: 'UN' } as const;
const HUB_TO_SEX: Record<string, 'F' | 'M' | 'U'> = { F: 'F', M: 'M', O: 'U', UN: 'U' };

/**
 * A case we create on the Hub: "DRMFR15" + department + "L" + year + day of year + our case's id.
 * The Hub requires it unique across every system and generated without asking anyone: our case id
 * (a UUID made where the case was opened, even offline) is; the human reference (date + 6 hex
 * digits) is not (two cases of one day can share it: the SAMU refused the second with 701).
 */
export function hubCaseId(c: Pick<RegulationCase, 'id' | 'openedAt'>, ctx: HubCaseContext): { caseId: string; senderCaseId: string } {
  const d = new Date(c.openedAt);
  const start = Date.UTC(d.getUTCFullYear(), 0, 0);
  const day = String(Math.floor((c.openedAt - start) / 86_400_000)).padStart(3, '0');
  const own = c.id.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  const senderCaseId = `DRMFR15${ctx.departmentCode}L${String(d.getUTCFullYear()).slice(2)}${day}${own}`;
  return { caseId: `${ctx.clientId}.${senderCaseId}`, senderCaseId };
}

/** The case's id on the Hub: the one it already has (made once, never changed), else a new one. */
export function sharedCaseId(c: Pick<RegulationCase, 'id' | 'openedAt' | 'hub'>, ctx: HubCaseContext): { caseId: string; senderCaseId: string } {
  return c.hub?.caseId ? { caseId: c.hub.caseId, senderCaseId: c.hub.caseId.split('.').slice(3).join('.') } : hubCaseId(c, ctx);
}

const contact = (phone: string) => ({ channel: 'PERSONNE', type: 'TEL', detail: phone });

export function caseToCreateCaseHealth(c: RegulationCase, ctx: HubCaseContext, options: { owner?: string } = {}): Record<string, unknown> {
  const f = c.fields;
  const { caseId, senderCaseId } = sharedCaseId(c, ctx);
  const at = (ms: number) => hubDateTime(ms, ctx.timeZone);
  const patientName = [f.patient?.firstName, f.patient?.lastName].filter(Boolean).join(' ');
  const patientId = `${ctx.clientId}.${senderCaseId}.patient.1`;
  const out: Record<string, unknown> = {
    caseId,
    senderCaseId,
    creation: at(c.openedAt),
    perimeter: 'SNP',
    qualification: {
      origin: LINE_TO_ORIGIN[f.line ?? '116117'],
      details: { ...(f.priority ? { priority: f.priority } : {}), attribution: 'DRM.MRL' },
    },
    location: {
      ...(f.location?.address ? { detailedAddress: { complete: f.location.address } } : {}),
      ...(f.location?.inseeCode || f.location?.communeName ? { city: { ...(f.location.communeName ? { name: f.location.communeName } : {}), ...(f.location.inseeCode ? { inseeCode: f.location.inseeCode } : {}) } } : {}),
      ...(f.location?.accessNotes ? { freetext: f.location.accessNotes } : {}),
    },
    owner: options.owner ?? ctx.clientId,
  };
  if (f.callbackPhone) {
    out.initialAlert = {
      reception: at(c.openedAt),
      caller: {
        callerContact: contact(f.callbackPhone),
        callbackContact: contact(f.callbackPhone),
        ...(f.caller ? { type: CALLER_TO_HUB[f.caller.relationship] } : {}),
        ...(f.caller?.name ? { detailedName: { complete: f.caller.name } } : {}),
      },
    };
  }
  if (f.patient && (patientName || f.patient.birthDate || f.patient.sex || f.patient.ageYears !== undefined)) {
    out.patient = [
      {
        patientId,
        identity: {
          ...(f.patient.birthDate || f.patient.sex ? { strictFeatures: { ...(f.patient.birthDate ? { birthDate: f.patient.birthDate } : {}), ...(f.patient.sex ? { sex: SEX_TO_HUB[f.patient.sex] } : {}) } } : {}),
          ...(patientName ? { nonStrictFeatures: { complete: patientName, ...(f.patient.lastName ? { lastName: f.patient.lastName } : {}), ...(f.patient.firstName ? { firstName: f.patient.firstName } : {}) } } : {}),
        },
        ...(f.patient.ageYears !== undefined ? { detail: { age: `P${f.patient.ageYears}Y` } } : {}),
      },
    ];
  }
  const notes = [
    ...(f.reasonCode || f.reasonText ? [{ text: [f.reasonCode ? `Motif : ${REASONS[f.reasonCode].label}` : null, f.reasonText].filter(Boolean).join(' — '), at: c.openedAt, role: 'ARM' }] : []),
    ...c.notes.map((n) => ({ text: n.text, at: n.at, role: n.role === 'physician' ? 'MEDECIN' : n.role === 'arm' ? 'ARM' : 'AUTRE', author: n.author })),
  ];
  if (notes.length) {
    out.medicalNote = notes.map((n, i) => ({
      medicalNoteId: `${ctx.clientId}.medicalNote.${senderCaseId}.${i + 1}`,
      operator: { role: n.role, ...('author' in n && n.author ? { label: n.author } : {}) },
      creation: at(n.at),
      freetext: n.text,
    }));
  }
  if (c.decision && c.decidedAt) {
    const h = DECISION_TO_HUB[c.decision.code];
    out.decision = [
      {
        creation: at(c.decidedAt),
        operator: { role: 'MEDECIN', ...(c.decidedBy ? { label: c.decidedBy.displayName } : {}) },
        decisionType: h.decisionType,
        ...(h.resourceType ? { resourceType: h.resourceType } : {}),
        ...(h.orientationType ? { orientationType: h.orientationType } : {}),
        ...(out.patient ? { patientId } : {}),
      },
    ];
  }
  return out;
}

/** The screening fields a `createCaseHealth` gives a case created from it (what we model). */
export function createCaseHealthToFields(p: Record<string, unknown>): ScreeningFields {
  type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const x = p as Any;
  const fields: ScreeningFields = {};
  const origin = x.qualification?.origin as string | undefined;
  fields.line = (origin && ORIGIN_TO_LINE[origin]) || '15';
  const priority = x.qualification?.details?.priority as string | undefined;
  if (priority && ['P0', 'P1', 'P2', 'P3'].includes(priority)) fields.priority = priority as Priority;
  const caller = x.initialAlert?.caller as Any | undefined;
  const phone = (caller?.callbackContact?.type === 'TEL' ? caller.callbackContact.detail : caller?.callerContact?.type === 'TEL' ? caller.callerContact.detail : undefined) as string | undefined;
  if (phone) fields.callbackPhone = phone;
  if (caller?.type || caller?.detailedName?.complete) fields.caller = { relationship: HUB_TO_CALLER[caller.type as string] ?? 'other', ...(caller.detailedName?.complete ? { name: String(caller.detailedName.complete).slice(0, 100) } : {}) };
  const patient = (x.patient as Any[] | undefined)?.[0];
  if (patient) {
    const id = patient.identity ?? {};
    const age = /^P(\d{1,3})Y$/.exec(patient.detail?.age ?? '');
    fields.patient = {
      ...(id.nonStrictFeatures?.lastName ? { lastName: id.nonStrictFeatures.lastName } : {}),
      ...(id.nonStrictFeatures?.firstName ? { firstName: id.nonStrictFeatures.firstName } : {}),
      ...(!id.nonStrictFeatures?.lastName && !id.nonStrictFeatures?.firstName && id.nonStrictFeatures?.complete ? { lastName: id.nonStrictFeatures.complete } : {}),
      ...(id.strictFeatures?.birthDate ? { birthDate: id.strictFeatures.birthDate } : {}),
      ...(id.strictFeatures?.sex ? { sex: HUB_TO_SEX[id.strictFeatures.sex as string] ?? 'U' } : {}),
      ...(age ? { ageYears: Number(age[1]) } : {}),
    };
  }
  const loc = x.location as Any | undefined;
  if (loc) {
    fields.location = {
      ...(loc.city?.inseeCode ? { inseeCode: loc.city.inseeCode } : {}),
      ...(loc.city?.name ? { communeName: loc.city.name } : {}),
      ...(loc.detailedAddress?.complete ? { address: String(loc.detailedAddress.complete).slice(0, 300) } : {}),
      ...(loc.freetext ? { accessNotes: String(loc.freetext).slice(0, 500) } : {}),
    };
  }
  const motive = x.qualification?.healthMotive?.label as string | undefined;
  if (motive) fields.reasonText = motive.slice(0, 500);
  return fields;
}

export const decisionHubCodes = (code: DecisionCode) => ({ ...DECISION_TO_HUB[code], label: DECISIONS[code].label });

// ---- hand-over (owner) ---------------------------------------------------------------------------

/**
 * Hand a case over (RS-EDA-MAJ with a new `owner`): what a physician's "transfer to the SAMU"
 * sends when the SAMU already knows the case; the reason travels in `freetext`.
 */
export function handOverUpdate(caseId: string, newOwner: string, reason: string): Record<string, unknown> {
  return { caseId, owner: newOwner, freetext: reason.slice(0, 2000) };
}

/**
 * The answer to a hand-over received (the sender set us as owner): accepting keeps our id as
 * owner, refusing puts the sender's back (the Hub's "functional ack of transfer").
 */
export function handOverAnswer(caseId: string, ours: string, sender: string, accept: boolean, reason?: string): Record<string, unknown> {
  return { caseId, owner: accept ? ours : sender, ...(reason ? { freetext: reason.slice(0, 2000) } : {}) };
}

/** What an RS-EDA-MAJ asks of us: a hand-over to us, a hand-over taken back, or changes to apply. */
export function readUpdate(update: { caseId: string; owner?: string }, ours: string, currentOwner: string): 'handed_to_us' | 'taken_back' | 'changes' {
  if (update.owner && update.owner !== currentOwner) return update.owner === ours ? 'handed_to_us' : 'taken_back';
  return 'changes';
}

// ---- what a case change sends to the partner -------------------------------------------------------

export interface HubPeer {
  id: string;
  name?: string;
}

export interface PlannedMessage {
  recipientId: string;
  useCase: 'createCaseHealth' | 'createCaseHealthUpdate' | 'reference' | 'error';
  kind: 'Report' | 'Update' | 'Ack' | 'Error';
  payload: Record<string, unknown>;
  /** What it says, in French, for the case's timeline and the journal. */
  label: string;
  /** The case's link once it is sent (its Hub id, the partner, the owner it asks for). */
  link: { caseId: string; peer: string; peerName?: string; owner: string };
}

function transferReason(e: CaseEventDraft): string | null {
  if (e.kind === 'case.transferred_samu') return e.payload.reason;
  if (e.kind === 'case.decided' && e.payload.decision.code === 'TRANSFER_SAMU') return e.payload.decision.comment ?? 'Décision : transfert au SAMU';
  return null;
}

/**
 * The message(s) a committed case event sends over the Hub (none for most): a transfer to the SAMU
 * sends the whole case (RS-EDA) or, when the SAMU already knows it, an owner change (RS-EDA-MAJ);
 * the answer to a hand-over sets the owner; later notes, field changes and decisions of a shared
 * case go as updates. The partner's own messages are acknowledged elsewhere (RC-REF).
 */
export function plannedMessages(event: CaseEventDraft, before: RegulationCase | undefined, after: RegulationCase, ctx: HubCaseContext, samu: HubPeer): PlannedMessage[] {
  if (event.actor.role === 'hub') return [];
  const hub = before?.hub;
  const reason = transferReason(event);
  if (reason !== null) {
    if (!hub) {
      const payload = caseToCreateCaseHealth(after, ctx, { owner: samu.id });
      const withReason = { ...payload, medicalNote: [...((payload.medicalNote as unknown[]) ?? []), { medicalNoteId: `${ctx.clientId}.medicalNote.${String(payload.senderCaseId)}.transfert`, operator: { role: 'MEDECIN', label: event.actor.displayName }, creation: hubDateTime(eventTimeOf(event), ctx.timeZone), freetext: `Transfert au SAMU : ${reason}`.slice(0, 2000) }] };
      return [{ recipientId: samu.id, useCase: 'createCaseHealth', kind: 'Report', payload: withReason, label: 'Transfert du dossier au SAMU', link: { caseId: String(payload.caseId), peer: samu.id, ...(samu.name ? { peerName: samu.name } : {}), owner: samu.id } }];
    }
    return [{ recipientId: hub.peer, useCase: 'createCaseHealthUpdate', kind: 'Update', payload: handOverUpdate(hub.caseId, hub.peer, reason), label: 'Transfert du dossier au SAMU (changement de responsable)', link: linkOf(hub, hub.peer) }];
  }
  if (!hub) return [];
  if (event.kind === 'case.hand_over_answered') {
    const payload = handOverAnswer(hub.caseId, ctx.clientId, hub.peer, event.payload.accept, event.payload.reason);
    return [{ recipientId: hub.peer, useCase: 'createCaseHealthUpdate', kind: 'Update', payload, label: event.payload.accept ? 'Prise en charge acceptée' : 'Prise en charge refusée', link: linkOf(hub, String(payload.owner)) }];
  }
  const update = updateOf(event, after, ctx, hub.caseId);
  return update ? [{ recipientId: hub.peer, useCase: 'createCaseHealthUpdate', kind: 'Update', payload: update.payload, label: update.label, link: linkOf(hub, hub.owner) }] : [];
}

const linkOf = (hub: NonNullable<RegulationCase['hub']>, owner: string) => ({ caseId: hub.caseId, peer: hub.peer, ...(hub.peerName ? { peerName: hub.peerName } : {}), owner });
const eventTimeOf = (e: CaseEventDraft) => e.serverTime ?? e.clientTime;

/** A shared case's own change as an RS-EDA-MAJ: the new note, the decision, the fields changed. */
function updateOf(event: CaseEventDraft, after: RegulationCase, ctx: HubCaseContext, caseId: string): { payload: Record<string, unknown>; label: string } | null {
  const full = caseToCreateCaseHealth(after, ctx, { owner: after.hub?.owner ?? ctx.clientId });
  if (event.kind === 'case.note_added') {
    const notes = (full.medicalNote as Record<string, unknown>[] | undefined) ?? [];
    const last = notes[notes.length - 1];
    return last ? { payload: { caseId, medicalNote: [last] }, label: 'Note transmise au SAMU' } : null;
  }
  if (event.kind === 'case.decided' && full.decision) return { payload: { caseId, decision: full.decision }, label: 'Décision transmise au SAMU' };
  if (event.kind === 'case.fields_updated') {
    const keys = Object.keys(event.payload.changes);
    const payload: Record<string, unknown> = { caseId };
    if (keys.some((k) => k === 'location') && full.location) payload.location = full.location;
    if (keys.some((k) => k === 'patient') && full.patient) payload.patient = full.patient;
    if (keys.some((k) => k === 'priority' || k === 'line')) payload.qualification = full.qualification;
    if (keys.some((k) => k === 'callbackPhone' || k === 'caller') && full.initialAlert) payload.initialAlert = full.initialAlert;
    return Object.keys(payload).length > 1 ? { payload, label: 'Modification transmise au SAMU' } : null;
  }
  return null;
}

/** What an RS-EDA-MAJ of the partner changes in our case (what we model; the rest stays in the original message). */
export function createCaseHealthUpdateToChanges(p: Record<string, unknown>): { changes: ScreeningFields; notes: { text: string; author?: string }[]; owner?: string } {
  const fields = createCaseHealthToFields(p);
  const changes: ScreeningFields = {};
  // Only what the update carries: the reader above defaults the line, which an update does not say.
  if (p.qualification) {
    if (fields.priority) changes.priority = fields.priority;
  }
  if (p.initialAlert) {
    if (fields.callbackPhone) changes.callbackPhone = fields.callbackPhone;
    if (fields.caller) changes.caller = fields.caller;
  }
  if (p.patient && fields.patient) changes.patient = fields.patient;
  if (p.location && fields.location) changes.location = fields.location;
  type Note = { freetext?: string; operator?: { label?: string; role?: string } };
  const notes = ((p.medicalNote as Note[] | undefined) ?? [])
    .filter((n) => typeof n.freetext === 'string' && n.freetext.trim() !== '')
    .map((n) => ({ text: String(n.freetext).slice(0, 4000), ...(n.operator?.label ? { author: String(n.operator.label).slice(0, 200) } : {}) }));
  if (typeof p.freetext === 'string' && p.freetext.trim()) notes.push({ text: p.freetext.slice(0, 4000) });
  return { changes, notes, ...(typeof p.owner === 'string' ? { owner: p.owner } : {}) };
}
