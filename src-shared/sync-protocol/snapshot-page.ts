/**
 * A page of the case snapshot on the wire: newline-delimited JSON (application/x-ndjson).
 *
 *   {"epoch":"…","highWater":123,"next":"<id>"|null,"count":2}
 *   [41,{…case…}]
 *   [57,{…case…}]
 *
 * One header line, then one line per case: its last event's sequence and its state as the server
 * stores it. The server sends each stored case text as is, and a workstation keeps the exact text it
 * validated (no parse of one big document into objects only to serialise every case again): half of
 * a new workstation's initial sync was that round trip.
 */
import { z } from 'zod';
import { RegulationCaseSchema, type RegulationCase } from '../schemas/case.js';
import { IdSchema } from '../schemas/primitives.js';
import { compiledSchema } from '../validation/compiled-schema.js';

/** Every case of a center goes through it at a new workstation's first sync: compiled (see there). */
const checkCase = compiledSchema(RegulationCaseSchema);

export const SNAPSHOT_PAGE_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

export const SnapshotPageHeaderSchema = z.strictObject({
  epoch: z.string(),
  /** Head of the event log when the snapshot started: tail events after it. */
  highWater: z.number().int().nonnegative(),
  /** Keyset cursor for the next page, or null at the end. */
  next: IdSchema.nullable(),
  /** Case lines that follow (a page cut short in transit is refused). */
  count: z.number().int().nonnegative(),
});
export type SnapshotPageHeader = z.infer<typeof SnapshotPageHeaderSchema>;

/** A case of the page: validated, with the exact text it was validated from (what the cache stores). */
export interface SnapshotCase {
  lastSeq: number;
  data: RegulationCase;
  json: string;
}

export interface SnapshotPage extends SnapshotPageHeader {
  /**
   * The page's cases, each parsed and checked as it is taken (a fault throws there, with its line):
   * a workstation writes each case before the next is parsed, so that a page's parsed cases never
   * pile up in memory (they die young instead of filling the old generation of the heap).
   */
  cases: Iterable<SnapshotCase>;
}

export class SnapshotPageError extends Error {
  constructor(message: string) {
    super(`Page d’instantané invalide : ${message}`);
    this.name = 'SnapshotPageError';
  }
}

/** The server's side: `cases` are stored case texts (JSON of one line, as JSON.stringify writes them). */
export function encodeSnapshotPage(header: Omit<SnapshotPageHeader, 'count'>, cases: readonly { lastSeq: number; json: string }[]): string {
  const lines = [JSON.stringify({ ...header, count: cases.length })];
  for (const c of cases) lines.push(`[${c.lastSeq},${c.json}]`);
  return lines.join('\n') + '\n';
}

const SEQ = /^\[(0|[1-9][0-9]{0,14}),/;

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The workstation's side: the header and the line count are checked here, each case as it is
 * taken. Read from the body's bytes, one line at a time: no string of the whole page is made (a
 * page of 2,000 cases is a 2.6 MB string, which the JavaScript heap keeps in its old generation
 * until a full collection; 500 of them made the heap of an initial sync grow by ~100 MiB).
 */
export function decodeSnapshotPage(body: Uint8Array | string): SnapshotPage {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const ends: number[] = [];
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) ends.push(at);
  // The last line may lack its newline.
  if (ends.length === 0 || ends[ends.length - 1]! < bytes.length - 1) ends.push(bytes.length);
  let header: SnapshotPageHeader;
  try {
    header = SnapshotPageHeaderSchema.parse(JSON.parse(utf8.decode(bytes.subarray(0, ends[0]))));
  } catch (error) {
    throw new SnapshotPageError(`en-tête illisible (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`);
  }
  if (ends.length - 1 !== header.count) throw new SnapshotPageError(`${ends.length - 1} dossiers reçus sur ${header.count} annoncés`);
  return { ...header, cases: { [Symbol.iterator]: () => casesOf(bytes, ends) } };
}

function* casesOf(bytes: Uint8Array, ends: readonly number[]): Generator<SnapshotCase> {
  for (let i = 1; i < ends.length; i++) {
    let line: string;
    try {
      line = utf8.decode(bytes.subarray(ends[i - 1]! + 1, ends[i]));
    } catch {
      throw new SnapshotPageError(`ligne ${i + 1} : UTF-8 invalide`);
    }
    const seq = SEQ.exec(line);
    if (!seq || line[line.length - 1] !== ']') throw new SnapshotPageError(`ligne ${i + 1} : [séquence, dossier] attendu`);
    const json = line.slice(seq[0].length, -1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new SnapshotPageError(`ligne ${i + 1} : JSON illisible`);
    }
    const data = checkCase(parsed);
    if (!data.success) throw new SnapshotPageError(`ligne ${i + 1} : dossier non conforme (champ « ${data.error.issues[0]?.path.join('.') ?? ''} »)`);
    yield { lastSeq: Number(seq[1]), data: data.data, json };
  }
}
