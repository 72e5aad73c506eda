/**
 * The Hub Santé codec against the ANS material pinned at model 3.4.1: the project's copy of the
 * schemas has not drifted; every example payload, wrapped by our builder, is valid and reads back
 * unchanged; every failing vector of the ANS is refused with the path that failed; the builder
 * keeps the Hub's invariants for any input (property test).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, hubDateTime, HUB_KINDS } from '../../src-shared/domain/hubsante-envelope.js';
import { HubSchemas, SCHEMA_DIR } from '../../src-server/hubsante/schemas.js';
import { ackOf, applyDelivery, errorOf, inboundAction, newDelivery, type DeliveryEvent } from '../../src-shared/domain/hubsante-protocol.js';
import { caseToCreateCaseHealth, createCaseHealthToFields, DECISION_TO_HUB, handOverAnswer, handOverUpdate, readUpdate } from '../../src-shared/domain/hubsante-case.js';
import { ScreeningFieldsSchema, type RegulationCase } from '../../src-shared/schemas/case.js';
import { caseReference } from '../../src-shared/domain/case-lifecycle.js';

/** The ANS test material pinned with the schemas (resources/hubsante/3.4.1/test-material: examples, vectors, test book). */
const MATERIAL = join(SCHEMA_DIR, 'test-material');
const SHARED = MATERIAL;
/** The team's shared copy, compared with ours when present (never needed to run). */
const SHARED_COPY = resolve(import.meta.dirname, '../../../shared/hubsante/ansforge/SAMU-Hub-Modeles');
const schemas = new HubSchemas();
const T = Date.UTC(2026, 10, 25, 22, 4, 5);
const full = (x: unknown) => schemas.check('EDXL-DE-full.schema.json', x);
const messageOf = (env: Record<string, unknown>) => (env.content as { jsonContent: { embeddedJsonContent: { message: Record<string, unknown> } } }[])[0]!.jsonContent.embeddedJsonContent.message;

describe('pinned schemas', () => {
  it('the copy matches its manifest (and the shared copy when present)', () => {
    const manifest = JSON.parse(readFileSync(join(SCHEMA_DIR, 'manifest.json'), 'utf8')) as { model: string; files: Record<string, string> };
    expect(manifest.model).toBe('3.4.1');
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort();
    expect(files).toEqual(Object.keys(manifest.files).sort());
    for (const f of files) {
      const bytes = readFileSync(join(SCHEMA_DIR, f));
      expect(createHash('sha256').update(bytes).digest('hex'), f).toBe(manifest.files[f]);
      const shared = join(SHARED_COPY, 'src/main/resources/json-schema', f);
      if (existsSync(shared)) expect(bytes.equals(readFileSync(shared)), `${f} differs from ../shared`).toBe(true);
    }
  });
});

describe('validators compiled ahead', () => {
  it('for the use cases named, refusing a name the model does not have; a prepared set gives the same verdicts', () => {
    const prepared = new HubSchemas();
    prepared.prepare(['createCaseHealth', 'reference']);
    expect(() => prepared.prepare(['createCaseHealthh'])).toThrow(/inconnu du modèle : createCaseHealthh/);
    const env = buildEnvelope({ senderId: 'fr.health.samu990', recipientId: 'fr.health.snp990', kind: 'Report', useCase: 'createCaseHealth', payload: { caseId: 'fr.health.samu990.DRFR1539A0001' }, sentAt: T, expiresAt: T + 3_600_000, uuid: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' });
    expect(prepared.checkMessage(env)).toEqual(schemas.checkMessage(env));
    expect(prepared.checkMessage(env).length).toBeGreaterThan(0);
  });
});

describe('the pinned ANS test material', () => {
  it('is in the project, whole, as its manifest lists it (and as the shared copy has it, when present)', () => {
    const lines = readFileSync(join(SCHEMA_DIR, 'test-material.sha256'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(149);
    for (const line of lines) {
      const [sum, path] = line.split(/\s+/) as [string, string];
      const bytes = readFileSync(join(MATERIAL, path));
      expect(createHash('sha256').update(bytes).digest('hex'), path).toBe(sum);
      const upstream = path === './test_cases.json' ? join(SHARED_COPY, 'csv_parser/out/test_cases.json') : join(SHARED_COPY, 'src/main/resources', path);
      if (existsSync(upstream)) expect(bytes.equals(readFileSync(upstream)), `${path} differs from ../shared`).toBe(true);
    }
  });
});

describe('ANS examples and vectors (resources/hubsante/3.4.1/test-material)', () => {
  const examplesDir = join(SHARED, 'sample/examples');
  const examples = readdirSync(examplesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(examplesDir, d.name)).filter((f) => f.endsWith('.json')).map((f) => ({ model: d.name, file: join(examplesDir, d.name, f) })));

  it('every example payload, wrapped by our builder, is valid and reads back unchanged', () => {
    expect(examples.length).toBeGreaterThanOrEqual(100);
    for (const { model, file } of examples) {
      const payloadDoc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const [useCase, payload] = Object.entries(payloadDoc)[0]!;
      const kind = model === 'RC-REF' ? 'Ack' : model === 'RS-ERROR' ? 'Error' : 'Report';
      const env = buildEnvelope({ senderId: 'fr.health.samu210', recipientId: 'fr.health.samu211', kind, useCase, payload, sentAt: T, expiresAt: T + 86_400_000, uuid: '2608323d-507d-4cbf-bf74-52007f8124ea' });
      const decoded = schemas.decode(JSON.parse(JSON.stringify(env)));
      expect(decoded.ok ? [] : decoded.errors, `${model}/${file.split('/').pop()}`).toEqual([]);
      if (decoded.ok) {
        expect(decoded.value.useCase).toBe(useCase);
        expect(decoded.value.payload).toEqual(payload);
      }
    }
  });

  it('every failing EDXL-DE vector of the ANS is refused, naming where', () => {
    const dir = join(SHARED, 'sample/failing/EDXL-DE');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(16);
    for (const f of files) {
      const r = schemas.decode(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      expect(r.ok, f).toBe(false);
      if (!r.ok) {
        expect(r.errors.length, f).toBeGreaterThan(0);
        for (const e of r.errors) expect(e.path, `${f}: ${e.message}`).toMatch(/^(\/|$)/);
      }
    }
    const unknownDeep = schemas.decode(JSON.parse(readFileSync(join(dir, 'unknown-property-deep.json'), 'utf8')));
    expect(!unknownDeep.ok && unknownDeep.errors.some((e) => e.message === 'propriété non prévue par le modèle' && e.path.startsWith('/content/0/'))).toBe(true);
  });

  it('the TECHNICAL drills behave as upstream says: valid ones pass their schema, failing ones fail it', () => {
    const drill = (dir: string) => readdirSync(join(SHARED, dir)).filter((f) => f.endsWith('.json')).map((f) => ({ f, data: JSON.parse(readFileSync(join(SHARED, dir, f), 'utf8')) }));
    const valid = drill('sample/valid/TECHNICAL');
    const failing = drill('sample/failing/TECHNICAL');
    const failingNoReq = drill('sample/failing/TECHNICAL_NOREQ');
    expect(valid.length + failing.length + failingNoReq.length).toBe(13);
    for (const v of valid) expect(schemas.check('TECHNICAL.schema.json', v.data), v.f).toEqual([]);
    for (const v of failing) expect(schemas.check('TECHNICAL.schema.json', v.data).length, v.f).toBeGreaterThan(0);
    for (const v of failingNoReq) expect(schemas.check('TECHNICAL_NOREQ.schema.json', v.data).length, v.f).toBeGreaterThan(0);
  });

  it('the full valid vector passes the schema and our one-item rule says why it is not ours to send', () => {
    const env = JSON.parse(readFileSync(join(SHARED, 'sample/valid/EDXL-DE/EDXL-DE.json'), 'utf8'));
    expect(schemas.check('EDXL-DE-full.schema.json', env)).toEqual([]);
    const r = schemas.decode(env);
    expect(!r.ok && r.errors[0]).toEqual({ path: '/content', message: 'un seul contenu attendu (2 reçus)' });
  });

  it('checking a message against its one use case gives the full schema’s verdict, on every vector and on damaged examples', () => {
    const wrapped = examples.map(({ model, file }) => {
      const [useCase, payload] = Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[0]!;
      const kind = model === 'RC-REF' ? 'Ack' : model === 'RS-ERROR' ? 'Error' : 'Report';
      return JSON.parse(JSON.stringify(buildEnvelope({ senderId: 'fr.health.samu210', recipientId: 'fr.health.samu211', kind, useCase, payload, sentAt: T, expiresAt: T + 86_400_000, uuid: '2608323d-507d-4cbf-bf74-52007f8124ea' }))) as Record<string, unknown>;
    });
    const vectors = ['sample/failing/EDXL-DE', 'sample/valid/EDXL-DE'].flatMap((d) => readdirSync(join(SHARED, d)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(SHARED, d, f), 'utf8')) as unknown));
    for (const x of [...wrapped, ...vectors]) expect(schemas.checkMessage(x)).toEqual(full(x));
    // Damage: a leaf replaced, a field removed, a second use case added next to the first.
    const leaves = (o: unknown, path: (string | number)[] = []): (string | number)[][] =>
      o && typeof o === 'object' ? Object.entries(o).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(o) ? Number(k) : k])) : [path];
    let invalid = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: wrapped.length - 1 }), fc.nat(), fc.constantFrom('replace', 'remove', 'second use case'), fc.oneof(fc.string(), fc.integer(), fc.constant(null)), (i, pick, damage, value) => {
        const env = structuredClone(wrapped[i]!);
        if (damage === 'second use case') {
          const m = messageOf(env);
          const [key] = Object.keys(m).filter((k) => k !== 'messageId' && typeof m[k] === 'object');
          m[key === 'reference' ? 'createCaseHealth' : 'reference'] = m[key!];
        } else {
          const all = leaves(env);
          const path = all[pick % all.length]!;
          let parent = env as Record<string | number, unknown>;
          for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
          if (damage === 'remove') delete parent[path.at(-1)!];
          else parent[path.at(-1)!] = value;
        }
        const expected = full(env);
        if (expected.length) invalid++;
        expect(schemas.checkMessage(env)).toEqual(expected);
      }),
      { numRuns: 400, seed: 20261126 },
    );
    // The damage does break messages (the comparison is not only between valid ones).
    expect(invalid).toBeGreaterThan(100);
  });
});

describe('builder invariants', () => {
  it('holds for any ids, times and kinds', () => {
    const id = fc.stringMatching(/^fr\.health\.[a-z0-9]{3,12}$/);
    fc.assert(
      fc.property(id, id, fc.constantFrom(...HUB_KINDS.filter((k) => k !== 'Error')), fc.integer({ min: 1_600_000_000_000, max: 2_500_000_000_000 }), fc.uuid(), (sender, recipient, kind, sentAt, uuid) => {
        const env = buildEnvelope({ senderId: sender, recipientId: recipient, kind, useCase: 'reference', payload: { distributionID: `${recipient}_${uuid}` }, sentAt, expiresAt: sentAt + 3_600_000, uuid });
        const message = env.content[0].jsonContent.embeddedJsonContent.message as Record<string, unknown>;
        expect(env.distributionID).toBe(`${sender}_${uuid}`);
        expect(message.messageId).toBe(env.distributionID);
        expect(message.kind).toBe(env.distributionKind);
        expect(message.sentAt).toBe(env.dateTimeSent);
        expect(env.dateTimeSent).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
        expect(env.dateTimeSent.endsWith('Z')).toBe(false);
        expect(message.sender).toEqual({ name: sender, URI: `hubex:${sender}` });
        expect(message.recipient).toEqual([{ name: recipient, URI: `hubex:${recipient}` }]);
        expect(env.content).toHaveLength(1);
        expect(Object.keys(env).sort()).toEqual(['content', 'dateTimeExpires', 'dateTimeSent', 'descriptor', 'distributionID', 'distributionKind', 'distributionStatus', 'senderID']);
        expect(schemas.decode(JSON.parse(JSON.stringify(env))).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('writes offsets, never Z, across the DST change; refuses an expiry before the sending', () => {
    expect(hubDateTime(Date.UTC(2026, 2, 29, 0, 59, 59))).toBe('2026-03-29T01:59:59+01:00');
    expect(hubDateTime(Date.UTC(2026, 2, 29, 1, 0, 0))).toBe('2026-03-29T03:00:00+02:00');
    expect(hubDateTime(Date.UTC(2026, 0, 1), 'UTC')).toBe('2026-01-01T00:00:00+00:00');
    expect(() => buildEnvelope({ senderId: 'fr.health.a', recipientId: 'fr.health.b', kind: 'Report', useCase: 'reference', payload: {}, sentAt: T, expiresAt: T, uuid: 'x' })).toThrow(/expires after/);
  });
});

describe('a case as RS-EDA (createCaseHealth)', () => {
  const ctx = { clientId: 'fr.health.samu210', timeZone: 'Europe/Paris', departmentCode: '21' };
  const base: RegulationCase = {
    id: '01890000-0000-7000-8000-000000000001',
    reference: '20261125-475C89',
    status: 'decided',
    openedAt: T,
    openedBy: { userId: 'cote-dor:arm1', displayName: 'ARM 1', role: 'arm' },
    updatedAt: T,
    version: 5,
    fields: {
      line: '116117',
      callbackPhone: '+33612345678',
      caller: { relationship: 'parent', name: 'Claire Dupont' },
      patient: { lastName: 'Dupont', firstName: 'Léo', birthDate: '2019-04-02', sex: 'M' },
      location: { inseeCode: '21231', communeName: 'Dijon', address: '12 rue des Forges', accessNotes: 'Code 1234, 2e étage' },
      reasonCode: 'FEVER_CHILD',
      reasonText: 'Fièvre à 39,5 depuis hier',
      priority: 'P2',
    },
    fieldVersions: {},
    notes: [{ eventId: '01890000-0000-7000-8000-000000000002', at: T + 60_000, author: 'Dr Roux', role: 'physician', text: 'Enfant tonique, pas de signe de gravité.' }],
    linkedCaseIds: [],
    decision: { code: 'HOME_VISIT', effector: 'Dr Bonnet' },
    decidedAt: T + 120_000,
    decidedBy: { userId: 'cote-dor:dr1', displayName: 'Dr Roux', role: 'physician' },
  };

  it('is valid against the pinned RS-EDA schema for every decision, inside a valid envelope', () => {
    for (const code of Object.keys(DECISION_TO_HUB) as (keyof typeof DECISION_TO_HUB)[]) {
      const payload = caseToCreateCaseHealth({ ...base, decision: { code } }, ctx);
      expect(schemas.check('RS-EDA.schema.json', payload), code).toEqual([]);
      const env = buildEnvelope({ senderId: ctx.clientId, recipientId: 'fr.health.samu211', kind: 'Report', useCase: 'createCaseHealth', payload, sentAt: T, expiresAt: T + 86_400_000, uuid: '2608323d-507d-4cbf-bf74-52007f8124ea' });
      expect(schemas.decode(JSON.parse(JSON.stringify(env))).ok, code).toBe(true);
    }
    // A case with nothing but its opening is valid too (every optional block left out).
    const bare = caseToCreateCaseHealth({ ...base, fields: {}, notes: [], decision: undefined, decidedAt: undefined }, ctx);
    expect(schemas.check('RS-EDA.schema.json', bare)).toEqual([]);
  });

  it('gives two cases of one day whose references coincide two Hub case ids, and keeps a case its Hub id', () => {
    // Same opening day, same last 6 hex digits: one human reference for both (20261125-475C89).
    const a = { ...base, id: '01890000-0000-7000-8000-aaaaaa475c89' };
    const b = { ...base, id: '01890000-0000-7000-8000-bbbbbb475c89' };
    expect(caseReference(a.id, T)).toBe(caseReference(b.id, T));
    const idA = String(caseToCreateCaseHealth(a, ctx).caseId);
    const idB = String(caseToCreateCaseHealth(b, ctx).caseId);
    expect(idA).not.toBe(idB);
    expect(schemas.check('RS-EDA.schema.json', caseToCreateCaseHealth(a, ctx))).toEqual([]);
    // Once on the Hub, a case keeps the id it was given (an earlier format included): never changed.
    const shared = { ...a, hub: { caseId: 'fr.health.samu210.DRMFR1521L26329475C89', peer: 'fr.health.samu211', owner: 'fr.health.samu211', createdBy: 'us' as const, messages: [] } };
    const again = caseToCreateCaseHealth(shared, ctx);
    expect(again.caseId).toBe('fr.health.samu210.DRMFR1521L26329475C89');
    expect(again.senderCaseId).toBe('DRMFR1521L26329475C89');
  });

  it('carries the codes of the Hub and reads back into the same screening fields', () => {
    const payload = caseToCreateCaseHealth(base, ctx) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(payload.caseId).toBe('fr.health.samu210.DRMFR1521L2632901890000000070008000000000000001');
    expect(payload.senderCaseId).toBe('DRMFR1521L2632901890000000070008000000000000001');
    expect(payload.creation).toBe('2026-11-25T23:04:05+01:00');
    expect(payload.qualification).toEqual({ origin: '116117', details: { priority: 'P2', attribution: 'DRM.MRL' } });
    expect(payload.decision[0]).toMatchObject({ decisionType: 'INTER', resourceType: 'LIBERAL.MG', orientationType: 'DOMICILE', operator: { role: 'MEDECIN', label: 'Dr Roux' } });
    expect(payload.initialAlert.caller.type).toBe('FAMILLE');
    expect(payload.medicalNote.map((n: { freetext: string }) => n.freetext)).toEqual(['Motif : Fièvre de l’enfant — Fièvre à 39,5 depuis hier', 'Enfant tonique, pas de signe de gravité.']);
    const back = createCaseHealthToFields(payload);
    expect(back).toEqual({
      line: '116117',
      priority: 'P2',
      callbackPhone: '+33612345678',
      caller: { relationship: 'family', name: 'Claire Dupont' },
      patient: { lastName: 'Dupont', firstName: 'Léo', birthDate: '2019-04-02', sex: 'M' },
      location: { inseeCode: '21231', communeName: 'Dijon', address: '12 rue des Forges', accessNotes: 'Code 1234, 2e étage' },
    });
  });

  it('reads the ANS RS-EDA examples into fields our case schema accepts', () => {
    const dir = join(SHARED, 'sample/examples/RS-EDA');
    for (const f of readdirSync(dir)) {
      const payload = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { createCaseHealth: Record<string, unknown> }).createCaseHealth;
      const fields = createCaseHealthToFields(payload);
      const parsed = ScreeningFieldsSchema.safeParse(fields);
      expect(parsed.error?.issues ?? [], f).toEqual([]);
    }
  });
});

describe('acknowledgements, errors and delivery', () => {
  const ours = { clientId: 'fr.health.samu210', sentAt: T + 1000, expiresAt: T + 86_400_000, uuid: '7b1d9c8e-1111-4a2b-9c3d-0123456789ab' };
  const received = () => {
    const env = buildEnvelope({ senderId: 'fr.health.samu211', recipientId: 'fr.health.samu210', kind: 'Report', useCase: 'reference', payload: { distributionID: 'fr.health.samu210_x' }, sentAt: T, expiresAt: T + 3_600_000, uuid: '2608323d-507d-4cbf-bf74-52007f8124ea' });
    const d = schemas.decode(JSON.parse(JSON.stringify(env)));
    if (!d.ok) throw new Error('setup');
    return d.value;
  };

  it('the RC-REF ack and the RS-ERROR we send are valid Hub messages addressed to the sender', () => {
    const ack = buildEnvelope(ackOf(received(), ours, { step: 'INTEGRE' }));
    const a = schemas.decode(JSON.parse(JSON.stringify(ack)));
    expect(a.ok && a.value.payload).toEqual({ distributionID: 'fr.health.samu211_2608323d-507d-4cbf-bf74-52007f8124ea', step: 'INTEGRE' });
    expect(ack.descriptor.explicitAddress.explicitAddressValue).toBe('fr.health.samu211');
    expect(ack.distributionKind).toBe('Ack');
    const err = buildEnvelope(errorOf(received().envelope, 702, 'Mise à jour d’un dossier inconnu', ours));
    const e = schemas.decode(JSON.parse(JSON.stringify(err)));
    expect(e.ok ? [] : e.errors).toEqual([]);
    expect(e.ok && e.value.payload).toMatchObject({ errorCode: { statusCode: 702, statusString: 'WRONG_MESSAGE_SEQUENCE' }, referencedDistributionID: 'fr.health.samu211_2608323d-507d-4cbf-bf74-52007f8124ea' });
    expect(err.distributionKind).toBe('Error');
  });

  it('a message sent on a day that does not exist, or without its offset, is refused at that date', () => {
    const ack = JSON.parse(JSON.stringify(buildEnvelope(ackOf(received(), ours, { step: 'INTEGRE' })))) as { dateTimeSent: string };
    expect(schemas.decode(ack).ok).toBe(true);
    for (const sent of ['2026-02-29T10:00:00+01:00', '2026-12-06T10:00:00', '2026-12-06T24:00:00+01:00']) {
      const r = schemas.decode({ ...ack, dateTimeSent: sent });
      expect(r.ok ? [] : r.errors.map((e) => `${e.path} ${e.message}`).join(' ; '), sent).toMatch(/dateTimeSent.*date-time/);
    }
  });

  it('a message received twice is acknowledged again and applied once', () => {
    const m = received();
    expect(inboundAction(false, m)).toBe('apply_then_ack');
    expect(inboundAction(true, m)).toBe('ack_only');
  });

  it('delivery moves forward only, whatever the order confirms and acks arrive in', () => {
    const events: DeliveryEvent[] = [
      { type: 'confirmed', at: 1 },
      { type: 'ack', at: 2, step: 'RECU' },
      { type: 'ack', at: 3, step: 'INTEGRE' },
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: 1 }), (some) => {
        const d = some.reduce(applyDelivery, newDelivery());
        const best = some.some((e) => e.type === 'ack' && e.step === 'INTEGRE') ? 'integrated' : some.some((e) => e.type === 'ack') ? 'received' : 'published';
        expect(d.state).toBe(best);
        expect(d.at.published).toBeDefined();
      }),
    );
    const refused = [...events, { type: 'ack', at: 4, refused: true } as DeliveryEvent].reduce(applyDelivery, newDelivery());
    expect(refused.state).toBe('refused');
    expect(applyDelivery(refused, { type: 'ack', at: 5, step: 'INTEGRE' }).state).toBe('refused');
    const failed = applyDelivery(newDelivery(), { type: 'error', at: 9, code: 501, cause: 'destinataire inconnu' });
    expect(failed).toMatchObject({ state: 'error', error: { code: 501 } });
    expect(failed.at.published).toBeUndefined();
  });
});

describe('hand-over (RS-EDA-MAJ owner)', () => {
  const caseId = 'fr.health.samu210.DRMFR1521L26329475C89';
  it('the transfer, the acceptance and the refusal are valid updates; an update says what it asks', () => {
    for (const payload of [
      handOverUpdate(caseId, 'fr.health.samu210b', 'Douleur thoracique typique : relève de l’urgence'),
      handOverAnswer(caseId, 'fr.health.samu210', 'fr.health.samu211', true),
      handOverAnswer(caseId, 'fr.health.samu210', 'fr.health.samu211', false, 'Pas de médecin disponible cette nuit'),
    ]) expect(schemas.check('RS-EDA-MAJ.schema.json', payload)).toEqual([]);
    expect(handOverAnswer(caseId, 'fr.health.samu210', 'fr.health.samu211', false).owner).toBe('fr.health.samu211');
    expect(readUpdate({ caseId, owner: 'fr.health.samu210' }, 'fr.health.samu210', 'fr.health.samu211')).toBe('handed_to_us');
    expect(readUpdate({ caseId, owner: 'fr.health.samu211' }, 'fr.health.samu210', 'fr.health.samu210')).toBe('taken_back');
    expect(readUpdate({ caseId }, 'fr.health.samu210', 'fr.health.samu210')).toBe('changes');
    expect(readUpdate({ caseId, owner: 'fr.health.samu210' }, 'fr.health.samu210', 'fr.health.samu210')).toBe('changes');
    // A bad case id is refused by the schema, naming the field.
    expect(schemas.check('RS-EDA-MAJ.schema.json', { caseId: 'pas un identifiant' })[0]!.path).toBe('/caseId');
  });

  it('the ANS hand-over examples read as what they are', () => {
    const dir = join(SHARED, 'sample/examples/RS-EDA-MAJ');
    const taking = JSON.parse(readFileSync(join(dir, 'RS-EDA-MAJ_priseEnCharge_OuardiaBoudadi.02.json'), 'utf8')).createCaseHealthUpdate as { caseId: string; owner?: string };
    expect(taking.owner).toBeDefined();
    expect(readUpdate(taking, taking.owner!, 'fr.health.samuX')).toBe('handed_to_us');
  });
});
