/**
 * A probe of the machine, not a section of `npm run bench`: what one durable commit of the writer
 * costs back to back and when its processes wake from a pause, as each step of a sequential Hub
 * round trip does. A new case opened, then a note on it, through `TenantWriter` on a fresh
 * PostgreSQL database, next to a durable one-row INSERT on a plain connection; each pair is timed
 * after the same pause. Figures and what they explain: docs/benchmarks.md (twenty-second session).
 *
 *   npx tsx tests/bench/commit-after-pause.probe.ts [pause ms, default 0 and 5] …
 */
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { TenantWriter, type Submission } from '../../src-server/services/tenant-writer.js';
import { freshDatabase, TENANT } from '../fixtures/sync-harness.js';
import { arm } from '../fixtures/hub.js';
import { fmt, median } from './stats.js';

const submission = (caseId: string, command: Submission['mutation']['command'], localSeq: number): Submission => ({
  mutation: { id: uuidv7(), caseId, command, clientTime: Date.now(), localSeq },
  actor: arm,
  workstationId: 'ws-probe',
  likelyNew: true,
});

/** One statement's time, after sleeping `pause` ms. */
async function timed(pause: number, work: () => Promise<unknown>): Promise<number> {
  if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** Submit one mutation; a refused one would time a refusal, not a commit: stop there. */
async function commit(writer: TenantWriter, s: Submission): Promise<void> {
  const [d] = await writer.submitWithOrigin([s]);
  if (d?.verdict.status !== 'accepted') throw new Error(`${s.mutation.command.type} refused: ${JSON.stringify(d?.verdict)}`);
}

const pauses = process.argv.slice(2).map(Number);
const { db, url, drop } = await freshDatabase('postgres');
const raw = new pg.Client({ connectionString: url });
await raw.connect();
try {
  await raw.query('CREATE TABLE probe_rows (id bigserial PRIMARY KEY, v text)');
  const writer = await TenantWriter.open(db, TENANT);
  console.log('| before each statement | new case | note | one-row INSERT |');
  console.log('| --- | --- | --- | --- |');
  for (const pause of pauses.length ? pauses : [0, 5]) {
    const n = pause > 0 ? 500 : 1_500;
    const opened: number[] = [];
    const noted: number[] = [];
    const inserted: number[] = [];
    for (let i = 0; i < n; i++) {
      const caseId = uuidv7();
      const a = await timed(pause, () => commit(writer, submission(caseId, { type: 'open', line: '116117', fields: { callbackPhone: '0612345678' } }, 1)));
      const b = await timed(pause, () => commit(writer, submission(caseId, { type: 'add_note', text: 'rappel du patient' }, 2)));
      const c = await timed(pause, () => raw.query('INSERT INTO probe_rows (v) VALUES ($1)', ['x'.repeat(200)]));
      // The first hundred warm the statements' plans and the compiled code up.
      if (i >= 100) {
        opened.push(a);
        noted.push(b);
        inserted.push(c);
      }
    }
    console.log(`| ${pause ? `${pause} ms asleep` : 'nothing (back to back)'} | ${fmt(median(opened))} | ${fmt(median(noted))} | ${fmt(median(inserted))} |`);
  }
} finally {
  await raw.end();
  await db.close();
  await drop();
}
