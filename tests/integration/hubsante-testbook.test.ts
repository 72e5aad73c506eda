/**
 * The ANS test book (csv_parser/out/test_cases.json, category 15-15: five stories, each in both
 * roles) replayed against the center's Hub link on a real PostgreSQL database:
 *  - each receive step, wrapped as the partner sends it, is integrated and stored (a case, its
 *    update, its hand-over, or, for what we do not model such as resources, kept with the case) and
 *    answered with exactly one RC-REF;
 *  - each send step we produce (RS-EDA for a transfer, RS-EDA-MAJ for a hand-over) carries the
 *    values we model at the path the test book expects, apart from the properties it says may differ,
 *    and is valid against the pinned schemas. The send steps we do not produce (resources: RS-RI,
 *    RS-SR, RS-DR, RS-RR; SMUR decisions) are listed explicitly, so that coverage changes show.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { buildEnvelope } from '../../src-shared/domain/hubsante-envelope.js';
import { createCaseHealthToFields, createCaseHealthUpdateToChanges, handOverUpdate } from '../../src-shared/domain/hubsante-case.js';
import { RegulationCaseSchema } from '../../src-shared/schemas/case.js';
import type { SqlDatabase } from '../../src-server/db/sql.js';
import { createTenant } from '../../src-server/services/auth.js';
import { TenantWriter } from '../../src-server/services/tenant-writer.js';
import { HubService, uuidFrom, validFields } from '../../src-server/hubsante/hub-service.js';
import { HubConfigSchema } from '../../src-server/hubsante/config.js';
import { HubSchemas } from '../../src-server/hubsante/schemas.js';
import { freshDatabase } from '../fixtures/sync-harness.js';
import { arm, physician } from '../fixtures/hub.js';

/** The ANS material pinned in the project (resources/hubsante/3.4.1/test-material), never skipped. */
const MATERIAL = resolve(import.meta.dirname, '../../resources/hubsante/3.4.1/test-material');
const EXAMPLES = join(MATERIAL, 'sample/examples');
const OURS = 'fr.health.snp210';

interface Step {
  id: string;
  type: 'send' | 'receive';
  file: string;
  model: string;
  ignoredProperties: string[];
  idOverrideProperties?: string[];
}

const book = JSON.parse(readFileSync(join(MATERIAL, 'test_cases.json'), 'utf8')) as { categoryLabel: string; testCases: { label: string; steps: Step[] }[] }[];
const stories = book.find((c) => c.categoryLabel === '15-15')?.testCases ?? [];
const example = (s: Step) => JSON.parse(readFileSync(join(EXAMPLES, s.model, s.file), 'utf8')) as Record<string, Record<string, unknown>>;
/** "$.createCaseHealth.patient[0].patientId" → "createCaseHealth.patient.0.patientId" */
const dotted = (jsonPath: string) => jsonPath.replace(/^\$\./, '').replace(/\[(\d+)\]/g, '.$1');
const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);

/** The values Permanence models in a createCaseHealth, by path. */
const MODELLED = [
  'qualification.details.priority',
  'location.city.inseeCode',
  'location.city.name',
  'initialAlert.caller.callbackContact.detail',
  'patient.0.identity.nonStrictFeatures.lastName',
  'patient.0.identity.nonStrictFeatures.firstName',
  'patient.0.identity.strictFeatures.birthDate',
  'patient.0.identity.strictFeatures.sex',
];

/** Send steps Permanence does not produce: resources (a SAMU's), SMUR decisions, shared notes of another SAMU. */
const NOT_PRODUCED = new Set([
  'RS-RI', 'RS-SR', 'RS-DR', 'RS-RR',
]);

let db: SqlDatabase;
let drop: () => Promise<void>;
const schemas = new HubSchemas();
let n = 0;

async function centerLinkedTo(peer: string): Promise<{ hub: HubService; writer: TenantWriter; tenant: string }> {
  const tenant = `livre-${++n}`;
  await createTenant(db, { id: tenant, name: `Recette ${n}`, department: '21' });
  let hub: HubService | undefined;
  const writer = await TenantWriter.open(db, tenant, { hub: (c) => hub!.writes(c), hubClientId: OURS, followUps: (rows) => hub!.followUps(rows) });
  hub = new HubService({
    db,
    schemas,
    department: '21',
    writer: async () => writer,
    log: () => {},
    config: HubConfigSchema.parse({ tenant, clientId: OURS, url: 'amqps://127.0.0.1:5671', tls: { certFile: 'x', keyFile: 'x', caFile: 'x' }, samu: { id: peer, name: 'SAMU partenaire' } }),
  });
  return { hub, writer, tenant };
}

const orgOf = (caseId: string) => caseId.split('.').slice(0, 3).join('.');

beforeAll(async () => {
  ({ db, drop } = await freshDatabase('postgres'));
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

describe('ANS test book, 15-15, replayed', () => {
  it('has the five stories in both roles', () => {
    expect(stories).toHaveLength(10);
  });

  for (const story of stories) {
    const receiving = story.steps[0]!.type === 'receive';
    it(`${story.label}: ${receiving ? 'every received step integrated, stored and acknowledged once' : 'every step we send carries the expected values'}`, async () => {
      const first = example(story.steps.find((s) => s.model === 'RS-EDA')!);
      const hubCaseId = String(first.createCaseHealth!.caseId);
      const peer = orgOf(hubCaseId);
      const { hub, writer, tenant } = await centerLinkedTo(peer);
      const notProduced: string[] = [];
      let ourCase: string | undefined;
      let liveCaseId = hubCaseId;
      for (const step of story.steps) {
        const ex = example(step);
        const key = Object.keys(ex)[0]!;
        const payload = structuredClone(ex[key]!);
        for (const p of step.idOverrideProperties ?? []) if (dotted(p) === `${key}.owner`) payload.owner = OURS;
        // Later steps are about the live case: its id (ours when we created it) replaces the book's.
        if (key !== 'createCaseHealth' && 'caseId' in payload) payload.caseId = liveCaseId;
        if (step.type === 'receive') {
          const m = { senderId: peer, recipientId: OURS, kind: step.model === 'RS-EDA' ? ('Report' as const) : ('Update' as const), useCase: key, payload, sentAt: Date.now(), expiresAt: Date.now() + 86_400_000, uuid: uuidv7() };
          const distributionId = `${peer}_${m.uuid}`;
          const outcome = await hub.receive('message', JSON.stringify(buildEnvelope(m)));
          expect(outcome, `${step.id} ${step.file}`).toBe('applied');
          const acks = await db.query<{ use_case: string }>('SELECT use_case FROM hub_outbox WHERE tenant = $1 AND answers = $2', [tenant, distributionId]);
          expect(acks.rows.map((r) => r.use_case), `${step.id}: one RC-REF`).toEqual(['reference']);
          const journal = await db.query('SELECT 1 FROM hub_journal WHERE tenant = $1 AND distribution_id = $2', [tenant, distributionId]);
          expect(journal.rows, `${step.id}: journaled`).toHaveLength(1);
          const id = ourCase ?? uuidFrom(`case|${tenant}|${hubCaseId}`);
          const c = RegulationCaseSchema.parse(JSON.parse((await db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = $2', [tenant, id])).rows[0]!.data));
          expect(c.hub!.messages.some((x) => x.distributionId === distributionId), `${step.id}: attached to the case`).toBe(true);
          if (key === 'createCaseHealth') {
            const { line: _line, ...fields } = createCaseHealthToFields(payload);
            expect(c.fields).toMatchObject(validFields(fields));
            for (const note of (payload.medicalNote as { freetext: string }[] | undefined) ?? []) expect(c.notes.map((x) => x.text)).toContain(note.freetext);
          }
          if (key === 'createCaseHealthUpdate' && payload.owner === OURS) expect(c.hub!.handOver).toBe('to_us_pending');
          if (key === 'createCaseHealthUpdate') for (const note of createCaseHealthUpdateToChanges(payload).notes) expect(c.notes.map((x) => x.text)).toContain(note.text);
          continue;
        }
        // Send: what Permanence produces for the same content.
        const ignored = new Set(step.ignoredProperties.map(dotted));
        if (key === 'createCaseHealth') {
          ourCase = uuidv7();
          const { line, ...fields } = createCaseHealthToFields(payload);
          const submit = async (command: Parameters<TenantWriter['submit']>[0][0]['mutation']['command'], actor = arm) => {
            const [v] = await writer.submit([{ mutation: { id: uuidv7(), caseId: ourCase!, command, clientTime: Date.now(), localSeq: 1 }, actor, workstationId: 'recette' }]);
            expect(v!.status, `${step.id} ${command.type}: ${JSON.stringify(v!.error)}`).toBe('accepted');
          };
          await submit({ type: 'open', line: line ?? '15', fields: validFields(fields) });
          await submit({ type: 'update_fields', baseVersion: 1, changes: { reasonText: 'Dossier de la recette ANS' } });
          for (const note of (payload.medicalNote as { freetext: string }[] | undefined) ?? []) await submit({ type: 'add_note', text: note.freetext }, physician());
          await submit({ type: 'transfer_samu', reason: 'partage du dossier' }, physician());
          const { rows } = await db.query<{ body: string }>(`SELECT body FROM hub_outbox WHERE tenant = $1 AND case_id = $2 AND use_case = 'createCaseHealth'`, [tenant, ourCase]);
          expect(rows).toHaveLength(1);
          const sent = JSON.parse(rows[0]!.body);
          expect(schemas.check('EDXL-DE-full.schema.json', sent)).toEqual([]);
          const ours = sent.content[0].jsonContent.embeddedJsonContent.message;
          liveCaseId = ours.createCaseHealth.caseId;
          for (const path of MODELLED) {
            const full = `${key}.${path}`;
            const expected = at(ex, full);
            if (expected === undefined || ignored.has(full)) continue;
            // Names are stored trimmed ("Lola " in the book is "Lola" here).
            expect(at(ours, full), `${step.id}: ${full}`).toEqual(typeof expected === 'string' ? expected.trim() : expected);
          }
          const texts = ((ours.createCaseHealth.medicalNote as { freetext: string }[]) ?? []).map((x) => x.freetext);
          for (const note of (payload.medicalNote as { freetext: string }[] | undefined) ?? []) expect(texts, `${step.id}: medical notes`).toContain(note.freetext);
          continue;
        }
        if (key === 'createCaseHealthUpdate' && (step.idOverrideProperties ?? []).some((p) => dotted(p) === `${key}.owner`)) {
          // A hand-over: the owner set to the partner who takes the case.
          const update = handOverUpdate(String(payload.caseId), peer, 'prise en charge');
          expect(schemas.check('RS-EDA-MAJ.schema.json', update)).toEqual([]);
          expect(at({ [key]: update }, `${key}.owner`)).toBe(peer);
          expect(at({ [key]: update }, `${key}.caseId`)).toBe(payload.caseId);
          continue;
        }
        notProduced.push(`${step.id} ${step.model}`);
      }
      // What is left is resources (a SAMU's own business) or an update with SMUR data.
      for (const x of notProduced) expect(NOT_PRODUCED.has(x.split(' ')[1]!) || x.includes('RS-EDA-MAJ'), x).toBe(true);
      void ourCase;
    });
  }
});

describe('what cannot be read', () => {
  it('a message that is not JSON, or breaks the model, is kept in quarantine with a clear cause; a readable sender gets one RS-ERROR 704', async () => {
    const { hub, tenant } = await centerLinkedTo('fr.health.samu210');
    expect(await hub.receive('message', '{ "distributionID": "fr.health.samu210_x", ')).toBe('quarantined');
    const bad = buildEnvelope({ senderId: 'fr.health.samu210', recipientId: OURS, kind: 'Report', useCase: 'createCaseHealth', payload: { caseId: 'fr.health.samu210.DRFR1521A2633000001' }, sentAt: Date.now(), expiresAt: Date.now() + 86_400_000, uuid: uuidv7() });
    expect(await hub.receive('message', JSON.stringify(bad))).toBe('quarantined');
    expect(await hub.receive('message', JSON.stringify(bad))).toBe('quarantined');
    const q = await hub.quarantined();
    expect(q.find((i) => i.distributionId === 'fr.health.samu210_x')).toMatchObject({ errorCode: 704, errorCause: 'message illisible (JSON invalide)' });
    expect(q.find((i) => i.distributionId === bad.distributionID)!.errorCause).toMatch(/^message non conforme au modèle : .*createCaseHealth/);
    const errors = await db.query<{ answers: string }>(`SELECT answers FROM hub_outbox WHERE tenant = $1 AND use_case = 'error'`, [tenant]);
    // The unreadable one cannot be answered; the other is answered once although received twice.
    expect(errors.rows.map((r) => r.answers)).toEqual([bad.distributionID]);
    const journal = await db.query(`SELECT 1 FROM hub_journal WHERE tenant = $1`, [tenant]);
    expect(journal.rows).toHaveLength(3);
  });
});
