/** The Hub Santé link as the workstation shows it: state, waiting messages, quarantine, SAS appointments. */
import { z } from 'zod';
import { EpochMsSchema } from './primitives.js';

const MessageSummarySchema = z.strictObject({ at: EpochMsSchema, distributionId: z.string(), useCase: z.string(), peer: z.string() });
const PeerSchema = z.strictObject({ id: z.string(), name: z.string().optional() });

export const HubStatusSchema = z.strictObject({
  clientId: z.string(),
  vhost: z.string(),
  state: z.enum(['stopped', 'connecting', 'connected', 'disconnected']),
  lastError: z.string().nullable(),
  connectedAt: EpochMsSchema.nullable(),
  lastIn: MessageSummarySchema.nullable(),
  lastOut: MessageSummarySchema.nullable(),
  /** Our messages the partner has not acknowledged yet; `overdue` past the alert delay. */
  waiting: z.array(
    z.strictObject({
      distributionId: z.string(),
      recipient: z.string(),
      label: z.string(),
      caseId: z.string().nullable(),
      createdAt: EpochMsSchema,
      state: z.string(),
      overdue: z.boolean(),
      attempts: z.number().int(),
    }),
  ),
  pending: z.number().int(),
  quarantined: z.number().int(),
  invalid: z.number().int(),
  samu: PeerSchema,
  sas: PeerSchema,
  ackAlertSeconds: z.number(),
});
export type HubStatus = z.infer<typeof HubStatusSchema>;

export const HubOverviewSchema = z.discriminatedUnion('enabled', [
  z.strictObject({ enabled: z.literal(false) }),
  z.strictObject({ enabled: z.literal(true), status: HubStatusSchema, sasSearch: z.strictObject({ url: z.string(), origin: z.string() }) }),
]);
export type HubOverview = z.infer<typeof HubOverviewSchema>;

export const QuarantineItemSchema = z.strictObject({
  distributionId: z.string(),
  sender: z.string(),
  useCase: z.string(),
  kind: z.string(),
  errorCode: z.number().int().nullable(),
  errorCause: z.string().nullable(),
  receivedAt: EpochMsSchema,
  replays: z.number().int(),
  body: z.unknown(),
});
export type QuarantineItem = z.infer<typeof QuarantineItemSchema>;

export const HubAppointmentSchema = z.strictObject({
  appointmentId: z.string(),
  status: z.string().nullable(),
  startAt: EpochMsSchema.nullable(),
  caseId: z.string().nullable(),
  linkedBy: z.string().nullable(),
  receivedAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
  /** The RS-SAS-RDV `appointment` as received. */
  data: z.record(z.string(), z.unknown()),
});
export type HubAppointment = z.infer<typeof HubAppointmentSchema>;

export const HubJournalEntrySchema = z.strictObject({
  at: EpochMsSchema,
  direction: z.enum(['in', 'out']),
  distributionId: z.string().nullable(),
  useCase: z.string().nullable(),
  note: z.string().nullable(),
  /** The message verbatim (EDXL-DE envelope). */
  body: z.unknown(),
});
export type HubJournalEntry = z.infer<typeof HubJournalEntrySchema>;
