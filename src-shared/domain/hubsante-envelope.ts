/**
 * The Hub Santé envelope, built and read by the rules of the Hub (model 3.4.1): an EDXL-DE
 * distribution element around one RC-DE header and exactly one use-case object.
 *   distributionID = `<senderID>_<uuid>`; RC-DE messageId = distributionID; kind = distributionKind;
 *   sentAt = dateTimeSent with a numeric offset (never `Z`); addresses as `hubex:<id>`; one content
 *   item; no field the schema forbids. RS-ERROR payloads (`error`) carry no RC-DE header.
 * Pure: the caller passes the clock and the id; validation against the schemas is the server's.
 */
import { tzOffset } from '@date-fns/tz';

export const HUB_KINDS = ['Report', 'Update', 'Cancel', 'Ack', 'Error'] as const;
export type HubKind = (typeof HUB_KINDS)[number];
export type HubStatus = 'Actual' | 'Exercise';

/** Use-case keys we speak (RS-EDA, RS-EDA-MAJ, RC-REF, RS-ERROR, RS-SAS-RDV) and the others the model defines. */
export type UseCaseKey = string;

export interface HubEnvelope {
  distributionID: string;
  senderID: string;
  dateTimeSent: string;
  dateTimeExpires: string;
  distributionStatus: HubStatus;
  distributionKind: HubKind;
  descriptor: { language: 'fr-FR'; explicitAddress: { explicitAddressScheme: 'hubex'; explicitAddressValue: string } };
  content: [{ jsonContent: { embeddedJsonContent: { message: Record<string, unknown> } } }];
}

export interface OutgoingMessage {
  senderId: string;
  recipientId: string;
  kind: HubKind;
  status?: HubStatus;
  useCase: UseCaseKey;
  payload: unknown;
  /** When it was sent (ms) and when it expires (ms); the Hub's own TTL is 24 h. */
  sentAt: number;
  expiresAt: number;
  uuid: string;
  /** Names shown in the RC-DE header (defaults: the ids). */
  senderName?: string;
  recipientName?: string;
  /** Time zone of the offsets written (the center's; numeric offset either way). */
  timeZone?: string;
}

/** ISO date-time with a numeric offset: "2026-11-25T23:04:05+01:00" (UTC written as +00:00, never Z). */
export function hubDateTime(ms: number, timeZone = 'Europe/Paris'): string {
  const offset = offsetMinutes(ms, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A zone's UTC offset changes only on quarter-hour boundaries: it is looked up once per quarter
 * hour (the zone lookup costs ~20 µs, and every message carries two dates).
 */
const offsets = new Map<string, number>();
function offsetMinutes(ms: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(ms / 900_000)}`;
  let o = offsets.get(key);
  if (o === undefined) {
    if (offsets.size > 2000) offsets.clear();
    o = tzOffset(timeZone, new Date(Math.floor(ms / 900_000) * 900_000));
    offsets.set(key, o);
  }
  return o;
}

export const hubUri = (id: string) => `hubex:${id}`;

export function buildEnvelope(m: OutgoingMessage): HubEnvelope {
  if (m.expiresAt <= m.sentAt) throw new Error('a Hub message expires after it is sent');
  const distributionID = `${m.senderId}_${m.uuid}`;
  const sentAt = hubDateTime(m.sentAt, m.timeZone);
  const status = m.status ?? 'Actual';
  const message: Record<string, unknown> =
    m.useCase === 'error'
      ? { error: m.payload }
      : {
          messageId: distributionID,
          sender: { name: m.senderName ?? m.senderId, URI: hubUri(m.senderId) },
          sentAt,
          kind: m.kind,
          status,
          recipient: [{ name: m.recipientName ?? m.recipientId, URI: hubUri(m.recipientId) }],
          [m.useCase]: m.payload,
        };
  return {
    distributionID,
    senderID: m.senderId,
    dateTimeSent: sentAt,
    dateTimeExpires: hubDateTime(m.expiresAt, m.timeZone),
    distributionStatus: status,
    distributionKind: m.kind,
    descriptor: { language: 'fr-FR', explicitAddress: { explicitAddressScheme: 'hubex', explicitAddressValue: m.recipientId } },
    content: [{ jsonContent: { embeddedJsonContent: { message } } }],
  };
}

const HEADER_KEYS = new Set(['messageId', 'sender', 'sentAt', 'kind', 'status', 'recipient']);

export interface DecodedMessage {
  envelope: HubEnvelope;
  /** The RC-DE header (absent on RS-ERROR). */
  header: Record<string, unknown> | null;
  useCase: UseCaseKey;
  payload: unknown;
}

export type DecodeResult = { ok: true; value: DecodedMessage } | { ok: false; path: string; message: string };

/**
 * Read an envelope that the schema already accepted and check the rules a schema cannot say:
 * one content item, one use-case key, the header consistent with the envelope.
 */
export function readEnvelope(e: HubEnvelope): DecodeResult {
  if (e.content.length !== 1) return { ok: false, path: '/content', message: `un seul contenu attendu (${e.content.length} reçus)` };
  const message = e.content[0].jsonContent.embeddedJsonContent.message;
  const keys = Object.keys(message).filter((k) => !HEADER_KEYS.has(k));
  if (keys.length !== 1) return { ok: false, path: '/content/0/jsonContent/embeddedJsonContent/message', message: `un seul cas d’usage attendu (${keys.join(', ') || 'aucun'})` };
  const useCase = keys[0]!;
  if (!e.distributionID.startsWith(`${e.senderID}_`)) return { ok: false, path: '/distributionID', message: 'distributionID doit commencer par « senderID_ »' };
  if (useCase === 'error') return { ok: true, value: { envelope: e, header: null, useCase, payload: message.error } };
  const header = Object.fromEntries(Object.entries(message).filter(([k]) => HEADER_KEYS.has(k)));
  const checks: [string, boolean, string][] = [
    ['messageId', header.messageId === e.distributionID, 'messageId doit valoir distributionID'],
    ['kind', header.kind === e.distributionKind, 'kind doit valoir distributionKind'],
    ['sentAt', header.sentAt === e.dateTimeSent, 'sentAt doit valoir dateTimeSent'],
    ['sender', (header.sender as { URI?: string } | undefined)?.URI === hubUri(e.senderID), 'sender.URI doit valoir hubex:<senderID>'],
  ];
  for (const [field, ok, text] of checks) if (!ok) return { ok: false, path: `/content/0/jsonContent/embeddedJsonContent/message/${field}`, message: text };
  return { ok: true, value: { envelope: e, header, useCase, payload: message[useCase] } };
}
