/**
 * The Hub Santé protocol around the messages, pure: the end-to-end acknowledgement (RC-REF) and
 * the error (RS-ERROR) we send back, what to do with a message received twice, and the delivery of
 * a message we sent as its sender sees it (sent → accepted by the Hub → received → integrated, or
 * refused / in error), from publisher confirms, acks and errors, in any order, never going back.
 */
import type { DecodedMessage, OutgoingMessage } from './hubsante-envelope.js';

/** Error codes of the Hub (100–600) and of receiving software (700–704), model 3.4.1. */
export const HUB_ERROR_CODES = {
  100: 'DELIVERY_MODE_INCONSISTENCY',
  101: 'NOT_ALLOWED_CONTENT_TYPE',
  102: 'UNRECOGNIZED_MESSAGE_FORMAT',
  200: 'SENDER_INCONSISTENCY',
  300: 'INVALID_MESSAGE',
  301: 'SCHEMA_NOT_FOUND',
  400: 'EXPIRED_MESSAGE_BEFORE_ROUTING',
  500: 'DEAD_LETTER_QUEUED',
  501: 'UNROUTABLE_MESSAGE',
  600: 'MESSAGE_CONVERSION_ERROR',
  700: 'INTERNAL_CLIENT_ERROR',
  701: 'CASE_ALREADY_EXISTS',
  702: 'WRONG_MESSAGE_SEQUENCE',
  703: 'UNKNOWN_SENDER',
  704: 'INSUFFICIENT_DATA',
} as const;
export type HubErrorCode = keyof typeof HUB_ERROR_CODES;

export type AckStep = 'RECU' | 'ERREUR' | 'INTEGRE' | 'CONSULTE' | 'SUPPRIME';

interface Ours {
  clientId: string;
  sentAt: number;
  expiresAt: number;
  uuid: string;
  timeZone?: string;
}

/** The RC-REF acknowledgement of a received message, addressed to its sender. */
export function ackOf(received: DecodedMessage, ours: Ours, options: { step?: AckStep; refused?: boolean } = {}): OutgoingMessage {
  return {
    senderId: ours.clientId,
    recipientId: received.envelope.senderID,
    kind: 'Ack',
    useCase: 'reference',
    payload: {
      distributionID: received.envelope.distributionID,
      ...(options.refused !== undefined ? { refused: options.refused } : {}),
      ...(options.step ? { step: options.step } : {}),
    },
    sentAt: ours.sentAt,
    expiresAt: ours.expiresAt,
    uuid: ours.uuid,
    ...(ours.timeZone ? { timeZone: ours.timeZone } : {}),
  };
}

/** The RS-ERROR we send back when we cannot integrate a message (codes 700–704). */
export function errorOf(referenced: { distributionID: string; senderID: string }, code: HubErrorCode, cause: string, ours: Ours, sourceMessage?: unknown): OutgoingMessage {
  return {
    senderId: ours.clientId,
    recipientId: referenced.senderID,
    kind: 'Error',
    useCase: 'error',
    payload: {
      errorCode: { statusCode: Number(code), statusString: HUB_ERROR_CODES[code] },
      errorCause: cause,
      referencedDistributionID: referenced.distributionID,
      ...(sourceMessage !== undefined ? { sourceMessage } : {}),
    },
    sentAt: ours.sentAt,
    expiresAt: ours.expiresAt,
    uuid: ours.uuid,
    ...(ours.timeZone ? { timeZone: ours.timeZone } : {}),
  };
}

/**
 * A message delivered again (the broker redelivers what was not acknowledged, a partner resends):
 * it is acknowledged again, never applied twice.
 */
export function inboundAction(alreadyApplied: boolean, decoded: DecodedMessage): 'apply_then_ack' | 'ack_only' | 'record_ack' | 'record_error' {
  if (decoded.envelope.distributionKind === 'Ack') return 'record_ack';
  if (decoded.envelope.distributionKind === 'Error') return 'record_error';
  return alreadyApplied ? 'ack_only' : 'apply_then_ack';
}

// ---- delivery of what we sent ------------------------------------------------------------------

export const DELIVERY_STATES = ['pending', 'published', 'received', 'integrated', 'refused', 'error'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const DELIVERY_LABELS: Record<DeliveryState, string> = {
  pending: 'En attente d’envoi',
  published: 'Reçu par le Hub',
  received: 'Reçu par le destinataire',
  integrated: 'Intégré par le destinataire',
  refused: 'Refusé par le destinataire',
  error: 'Erreur',
};

export type DeliveryEvent =
  | { type: 'confirmed'; at: number }
  | { type: 'ack'; at: number; step?: AckStep; refused?: boolean }
  | { type: 'error'; at: number; code: number; cause: string };

export interface Delivery {
  state: DeliveryState;
  /** When each state was reached. */
  at: Partial<Record<DeliveryState, number>>;
  error?: { code: number; cause: string };
}

/** How far a delivery has gone: a step never goes back to a lower rank; refused and error are final. */
export const DELIVERY_RANK: Record<DeliveryState, number> = { pending: 0, published: 1, received: 2, integrated: 3, refused: 4, error: 4 };
const RANK = DELIVERY_RANK;

/** Apply an event; events may arrive in any order (an ack before the broker's confirm): the state only moves forward. */
export function applyDelivery(d: Delivery, e: DeliveryEvent): Delivery {
  const to: DeliveryState =
    e.type === 'confirmed' ? 'published' : e.type === 'error' ? 'error' : e.refused || e.step === 'ERREUR' ? 'refused' : e.step === 'INTEGRE' || e.step === 'CONSULTE' ? 'integrated' : 'received';
  // An ack says the Hub had it, whatever the order the confirm came in.
  const at = { ...d.at, ...(to !== 'published' && d.at.published === undefined && e.type !== 'error' ? { published: e.at } : {}), [to]: d.at[to] ?? e.at };
  if (RANK[to] < RANK[d.state] || (RANK[d.state] === 4 && to !== d.state)) return { ...d, at };
  return { ...d, state: to, at, ...(e.type === 'error' ? { error: { code: e.code, cause: e.cause } } : {}) };
}

export const newDelivery = (): Delivery => ({ state: 'pending', at: {} });
