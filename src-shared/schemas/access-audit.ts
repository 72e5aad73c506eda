/**
 * The access audit over the wire: the reads a workstation records (a case opened on screen,
 * printed, exported; a search that showed patients), sent when the server is there (offline reads
 * wait in the workstation's outbox), and "who accessed this case" as supervisors read it.
 */
import { z } from 'zod';

/** Reads recorded on a workstation, and its lock and unlock (who left the screen, who came back). */
export const WORKSTATION_READS = ['case.open', 'case.print', 'case.export', 'case.search', 'session.lock', 'session.unlock'] as const;

export const RecordedReadSchema = z.strictObject({
  /** The workstation's id of this read: sent twice, kept once. */
  id: z.uuid(),
  action: z.enum(WORKSTATION_READS),
  caseId: z.uuid().nullable(),
  at: z.number().int().positive(),
  /** What was searched, how many patients were shown (no patient data). */
  detail: z.string().max(200).nullable(),
});
export type RecordedRead = z.infer<typeof RecordedReadSchema>;

export const RecordReadsSchema = z.strictObject({ reads: z.array(RecordedReadSchema).min(1).max(500) });

export const BreakGlassSchema = z.strictObject({
  reason: z.string().trim().min(10, 'motif : 10 caractères au moins').max(500),
});

export const AccessEntrySchema = z.strictObject({
  at: z.number(),
  userId: z.string(),
  displayName: z.string(),
  role: z.string(),
  organisation: z.string().nullable(),
  workstation: z.string().nullable(),
  address: z.string().nullable(),
  action: z.string(),
  caseId: z.string().nullable(),
  detail: z.string().nullable(),
  reason: z.string().nullable(),
});
export type AccessEntryView = z.infer<typeof AccessEntrySchema>;

/** The French label of an access, for the list and the CSV. */
export const ACCESS_ACTION_LABELS: Record<string, string> = {
  'case.open': 'Dossier ouvert à l’écran',
  'case.break_glass': 'Accès exceptionnel (bris de glace)',
  'case.print': 'Dossier imprimé',
  'case.export': 'Dossier exporté',
  'case.history': 'Historique du dossier téléchargé',
  'case.search': 'Recherche de patients',
  snapshot: 'Copie des dossiers du centre (synchronisation initiale)',
  'effector.reveal': 'Identité révélée au médecin effecteur',
  'report.download': 'Rapport téléchargé',
  'hub.messages': 'Messages Hub Santé du dossier',
  'agenda.bookings': 'Réservations de l’agenda consultées',
  'session.lock': 'Poste verrouillé',
  'session.unlock': 'Poste déverrouillé',
  'recording.play': 'Enregistrement de l’appel écouté',
  'recording.export': 'Enregistrement exporté (réquisition)',
  'callback.claim': 'Appel abandonné pris pour rappel',
};

/** Reads sent to the server in one request at most. */
export const MAX_READS_PER_PUSH = 500;
