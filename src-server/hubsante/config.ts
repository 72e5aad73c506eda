/**
 * Configuration of a center's Hub Santé link, from a JSON file named by PERMANENCE_HUBSANTE_CONFIG
 * (one object, or an array for several centers served by one server). Validated at start: a bad
 * file stops the server with the path of what is wrong. Files, not values: the certificate, key
 * and passphrase stay in files readable by the server only and are never logged.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/** `fr.health.samu210`, `fr.health.test.ptfsas`: the Hub's client ids. */
const HubIdSchema = z.string().regex(/^[a-z]{2}(\.[a-zA-Z0-9_-]+){2,5}$/, 'identifiant Hub : pays.domaine.organisation, ex. fr.health.samu210');
const PeerSchema = z.strictObject({ id: HubIdSchema, name: z.string().min(1).max(100).optional() });

export const HubConfigSchema = z.strictObject({
  /** The center (tenant) this link belongs to. */
  tenant: z.string().min(1),
  /** Our client id, allocated by the ANS (the CN of our certificate). */
  clientId: HubIdSchema,
  /** The broker: amqps://host:port (production and qualification addresses are given by the ANS). */
  url: z.string().regex(/^amqps:\/\/[^/]+$/, 'adresse du Hub : amqps://hôte:port'),
  /** One vhost per perimeter and model version. */
  vhost: z.string().min(1).default('15-15_v2.0'),
  /** Host name checked in the broker's certificate, when the URL gives an address. */
  servername: z.string().optional(),
  tls: z.union([
    z.strictObject({ certFile: z.string(), keyFile: z.string(), caFile: z.string() }),
    z.strictObject({ pfxFile: z.string(), passphraseFile: z.string().optional(), caFile: z.string() }),
  ]),
  /** The department's SAMU (where "transfer to the SAMU" goes) and the national SAS platform. */
  samu: PeerSchema,
  sas: PeerSchema.default({ id: 'fr.health.ptfsas', name: 'Plateforme SAS' }),
  /** Messages expire after this (the Hub's own TTL is 24 h). */
  expiryHours: z.number().positive().max(24).default(24),
  /** A message published but not acknowledged is published again after this. */
  resendAfterSeconds: z.number().positive().default(60),
  /** Users are alerted when the partner has not acknowledged a message within this delay. */
  ackAlertSeconds: z.number().positive().default(120),
  timeZone: z.string().default('Europe/Paris'),
  prefetch: z.number().int().min(1).max(5000).default(250),
  /** A delivery that fails this many times in a row (never the database: see onDelivery) is quarantined. */
  maxDeliveryAttempts: z.number().int().min(2).max(100).default(5),
  /** The national SAS platform's contextual search (URL and origin are given by the platform). */
  sasSearch: z.strictObject({ url: z.url(), origin: z.string().min(1).max(100) }).default({ url: 'https://sas.sante.fr/recherche', origin: 'permanence' }),
});
export type HubConfig = z.infer<typeof HubConfigSchema>;
export type HubConfigInput = z.input<typeof HubConfigSchema>;

/** Read and check the file; relative certificate paths are taken from the file's folder. */
export function readHubConfig(file: string): HubConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`configuration Hub Santé illisible (${file}) : ${(e as Error).message}`);
  }
  const list = z.array(HubConfigSchema).safeParse(Array.isArray(raw) ? raw : [raw]);
  if (!list.success) {
    const first = list.error.issues[0]!;
    throw new Error(`configuration Hub Santé invalide (${file}) : ${first.path.join('.')} : ${first.message}`);
  }
  const base = dirname(resolve(file));
  return list.data.map((c) => ({ ...c, tls: Object.fromEntries(Object.entries(c.tls).map(([k, v]) => [k, resolve(base, v)])) as HubConfig['tls'] }));
}
