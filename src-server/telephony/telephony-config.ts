/**
 * The lines' configuration file (PERMANENCE_LINES_CONFIG): where Kamailio's evapi listens, and each
 * line of each center with its settings. Validated when the server starts: a line whose audio file
 * is missing, or an overflow to a line that does not exist, stops the start with a French message.
 *
 *   { "evapi": { "host": "127.0.0.1", "port": 8448 }, "maxWaitSeconds": 600, "progressSeconds": 60,
 *     "lines": [ { "number": "116117", "tenant": "cote-dor", "label": "116117", "roles": ["arm"],
 *                  "ringSeconds": 20, "distribution": "longest-idle", "announcement": "resources/line-audio/116117-attente.wav",
 *                  "callbackCallerId": "0380000000" } ] }
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ROLES } from '../../src-shared/domain/codes.js';
import { DISTRIBUTIONS } from '../../src-shared/domain/line-queue.js';
import type { TelephonyConfig } from './line-distributor.js';

const LineSchema = z.strictObject({
  number: z.string().regex(/^[0-9A-Za-z+*#_-]{2,32}$/, 'numéro de ligne : chiffres ou lettres, 2 à 32'),
  tenant: z.string().min(1).max(64),
  label: z.string().trim().min(1).max(100),
  roles: z.array(z.enum(ROLES)).min(1),
  priority: z.number().int().min(0).max(100).default(0),
  ringSeconds: z.number().int().min(5).max(120).default(20),
  /** 'longest-idle': the agent free the longest rings, then the next; 'ring-all': every free agent's phone rings at once. */
  distribution: z.enum(DISTRIBUTIONS).default('longest-idle'),
  overflowAfterSeconds: z.number().int().min(10).max(3600).nullable().default(null),
  overflowTo: z.string().nullable().default(null),
  /** Without overflowTo: the message played after overflowAfterSeconds (the caller is then called back). */
  overflowMessage: z.string().min(1).nullable().default(null),
  announcement: z.string().min(1),
  callbackCallerId: z.string().regex(/^\+?[0-9]{4,15}$/, 'numéro présenté : chiffres').nullable().default(null),
  /** Every regulation line is recorded; false only for a line that must not be (a test line). */
  record: z.boolean().default(true),
  /** 'pdsa': the line takes calls during the PDSA periods only; outside, `closedAnnouncement` then the end of the call. */
  hours: z.enum(['always', 'pdsa']).default('always'),
  closedAnnouncement: z.string().min(1).nullable().default(null),
});

/** Five years: what the current texts ask of a regulation center's recordings. */
export const DEFAULT_RECORDING_RETENTION_DAYS = 1827;

export const TelephonyConfigSchema = z.strictObject({
  evapi: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(1).max(65535).default(8448) }),
  maxWaitSeconds: z.number().int().min(30).max(900).default(600),
  /** How often a waiting caller's operator gets a provisional response again (seconds). */
  progressSeconds: z.number().int().min(5).max(170).default(60),
  lines: z.array(LineSchema).min(1),
  /**
   * Where rtpengine's recordings come from: its recording-dir with recording-method=pcap
   * (`spoolDir`), or, on hosts with its kernel module, its recording daemon's output-dir
   * (`daemonOutputDir`; output-pattern %c-%t, mixed WAV); where the encrypted recordings go, how
   * long they are kept.
   */
  recording: z
    .strictObject({
      spoolDir: z.string().min(1).optional(),
      daemonOutputDir: z.string().min(1).optional(),
      storeDir: z.string().min(1),
      retentionDays: z.number().int().min(1).max(3653).default(DEFAULT_RECORDING_RETENTION_DAYS),
    })
    .refine((r) => (r.spoolDir === undefined) !== (r.daemonOutputDir === undefined), {
      message: 'spoolDir (rtpengine en pcap) ou daemonOutputDir (démon d’enregistrement), l’un des deux',
    })
    .optional(),
});

/**
 * The configuration as the distributor takes it; paths relative to `baseDir` made absolute.
 * `recordingKey`: the 32-byte key the recordings are encrypted with (required when they are on).
 */
export function parseTelephonyConfig(raw: unknown, baseDir: string, exists: (path: string) => boolean = existsSync, recordingKey: () => Buffer = () => Buffer.alloc(0)): TelephonyConfig {
  const parsed = TelephonyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new Error(`configuration des lignes invalide : ${first.path.join('.') || '(racine)'} : ${first.message}`);
  }
  const config = parsed.data;
  const numbers = new Set<string>();
  for (const line of config.lines) {
    if (numbers.has(line.number)) throw new Error(`configuration des lignes invalide : la ligne ${line.number} est déclarée deux fois`);
    numbers.add(line.number);
    if (!isAbsolute(line.announcement)) line.announcement = resolve(baseDir, line.announcement);
    if (!exists(line.announcement)) throw new Error(`configuration des lignes invalide : message d’attente absent pour ${line.number} (${line.announcement})`);
    if (line.closedAnnouncement !== null) {
      if (!isAbsolute(line.closedAnnouncement)) line.closedAnnouncement = resolve(baseDir, line.closedAnnouncement);
      if (!exists(line.closedAnnouncement)) throw new Error(`configuration des lignes invalide : message de fermeture absent pour ${line.number} (${line.closedAnnouncement})`);
    }
    const overflowTargets = (line.overflowTo !== null ? 1 : 0) + (line.overflowMessage !== null ? 1 : 0);
    if (overflowTargets > 1) throw new Error(`configuration des lignes invalide : ${line.number} : débordement vers une ligne ou vers un message, pas les deux`);
    if ((overflowTargets === 0) !== (line.overflowAfterSeconds === null)) {
      throw new Error(`configuration des lignes invalide : ${line.number} : le débordement demande overflowAfterSeconds et une destination (overflowTo ou overflowMessage)`);
    }
    if (line.overflowMessage !== null) {
      if (!isAbsolute(line.overflowMessage)) line.overflowMessage = resolve(baseDir, line.overflowMessage);
      if (!exists(line.overflowMessage)) throw new Error(`configuration des lignes invalide : message de débordement absent pour ${line.number} (${line.overflowMessage})`);
    }
  }
  for (const line of config.lines) {
    if (line.overflowTo !== null && !numbers.has(line.overflowTo)) throw new Error(`configuration des lignes invalide : ${line.number} déborde vers une ligne inconnue (${line.overflowTo})`);
  }
  const { recording, ...rest } = config;
  if (!recording) return rest;
  return {
    ...rest,
    recording: {
      // One of the two (the schema's refinement).
      ...(recording.daemonOutputDir !== undefined ? { daemonOutputDir: resolve(baseDir, recording.daemonOutputDir) } : { spoolDir: resolve(baseDir, recording.spoolDir!) }),
      storeDir: resolve(baseDir, recording.storeDir),
      retentionDays: recording.retentionDays,
      key: recordingKey(),
    },
  };
}

export function readTelephonyConfig(file: string, recordingKey: () => Buffer): TelephonyConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`configuration des lignes illisible (${file}) : ${(e as Error).message}`);
  }
  return parseTelephonyConfig(raw, dirname(resolve(file)), existsSync, recordingKey);
}
