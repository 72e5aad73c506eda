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

/** The workstation's side: the header and the line count are checked here, each case as it is taken. */
export function decodeSnapshotPage(text: string): SnapshotPage {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let header: SnapshotPageHeader;
  try {
    header = SnapshotPageHeaderSchema.parse(JSON.parse(lines[0] ?? ''));
  } catch (error) {
    throw new SnapshotPageError(`en-tête illisible (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`);
  }
  if (lines.length - 1 !== header.count) throw new SnapshotPageError(`${lines.length - 1} dossiers reçus sur ${header.count} annoncés`);
  return { ...header, cases: { [Symbol.iterator]: () => casesOf(lines) } };
}

function* casesOf(lines: readonly string[]): Generator<SnapshotCase> {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
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
