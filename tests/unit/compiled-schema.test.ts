/**
 * The compiled case validator (initial sync) against zod, the authority: it must accept the cases
 * the domain writes (or it speeds nothing up) and never accept a document zod refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { RegulationCaseSchema, ScreeningFieldsSchema, type RegulationCase } from '../../src-shared/schemas/case.js';
import type { CaseCommand } from '../../src-shared/schemas/case-events.js';
import { compiledSchema } from '../../src-shared/validation/compiled-schema.js';

const check = compiledSchema(RegulationCaseSchema);
const arm = { userId: 'cote-dor:arm1', displayName: 'Léa Arm', role: 'arm' as const };
const dr = { userId: 'cote-dor:dr1', displayName: 'Dr Émile Médecin', role: 'physician' as const };

function lifecycle(n: number, commands: [CaseCommand, typeof arm | typeof dr][]): RegulationCase {
  const id = `01938a8c-0000-7000-8000-00000000000${n}`;
  let state: RegulationCase | undefined;
  let now = Date.UTC(2026, 11, 5, 21);
  for (const [i, [command, actor]] of commands.entries()) {
    now += 60_000;
    const r = decide(state, command, { actor, workstationId: 'ws-1', eventId: i === 0 ? id : `01938a8c-0000-7000-8000-0000000001${n}${i}`, caseId: id, now });
    if (!r.ok) throw new Error(r.error.message);
    state = applyEvent(state, { ...r.value, serverTime: now });
  }
  return state!;
}

const VALID: RegulationCase[] = [
  lifecycle(1, [[{ type: 'open', line: '116117' }, arm]]),
  lifecycle(2, [
    [
      {
        type: 'open',
        line: '116117',
        fields: {
          callbackPhone: '06 12 34 56 78',
          caller: { name: 'Jeanne Lebrun', relationship: 'parent' },
          patient: { lastName: "N'Diaye", firstName: 'Zoé', birthDate: '2019-04-02', sex: 'F' },
          location: { inseeCode: '75115', communeName: 'Paris 15e Arrondissement', postalCode: '75015', departmentCode: '75', address: '7 rue du Bourg', accessNotes: 'code 1234, 3e étage' },
          reasonCode: 'FEVER',
          reasonText: 'fièvre à 39,5 °C depuis hier\nne boit plus 😟',
          priority: 'P2',
          treatingDoctor: { name: 'Dr Martin' },
          reportConsent: true,
        },
      },
      arm,
    ],
    [{ type: 'add_note', text: 'rappelle si aggravation' }, arm],
    [{ type: 'send_to_regulation' }, arm],
    [{ type: 'take' }, dr],
    [{ type: 'add_note', text: 'Conseils donnés ; paracétamol 15 mg/kg' }, dr],
    [{ type: 'decide', decision: { code: 'PHONE_ADVICE', comment: 'rappel dans 2 h si la fièvre persiste' } }, dr],
    [{ type: 'close' }, dr],
    [{ type: 'reopen', reason: 'rappel de la mère' }, dr],
  ]),
  lifecycle(3, [
    [{ type: 'open', line: '15', fields: { patient: { ageYears: 84, sex: 'M' }, priority: 'P1' } }, arm],
    [{ type: 'cancel', reason: 'ouvert par erreur' }, arm],
  ]),
];

/** Every path to a node of the document (objects, arrays and values). */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

type Mutation = { kind: 'replace'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown } | { kind: 'pad'; text: string };

function mutate(doc: unknown, path: (string | number)[], m: Mutation): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  if (path.length === 0) return m.kind === 'replace' ? m.value : copy;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (m.kind === 'replace') parent[last] = m.value;
  else if (m.kind === 'delete') delete parent[last];
  else if (m.kind === 'pad') parent[last] = typeof parent[last] === 'string' ? m.text.replace('#', parent[last] as string) : m.text;
  // An own property, as JSON.parse makes it (even "__proto__").
  else if (parent[last] !== null && typeof parent[last] === 'object') Object.defineProperty(parent[last], m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  return JSON.parse(JSON.stringify(copy)) as unknown;
}

const longText = fc.tuple(fc.constantFrom('a', 'é', '😀', ' ', '\n'), fc.integer({ min: 0, max: 4100 })).map(([c, n]) => c.repeat(n));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: fc.jsonValue() }),
  fc.record({ kind: fc.constant('replace' as const), value: fc.oneof(longText, fc.string(), fc.constantFrom('', ' ', '  x', 'x ', '\u00a0', 'P0', 'FEVER', '116117', '75015', '2A123', 'ABCDEF01-0000-7000-8000-000000000001')) }),
  fc.record({ kind: fc.constant('replace' as const), value: fc.constantFrom(0, -1, 1.5, 131, 2 ** 53, -(2 ** 53), 1e300, true, null) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.string(), fc.constant('__proto__')), value: fc.jsonValue() }),
  fc.record({ kind: fc.constant('pad' as const), text: fc.constantFrom(' #', '# ', '\t#', '#\n', '\u00a0#', ' ', '') }),
);

describe('compiled case validator (initial sync) against zod', () => {
  it('accepts by itself every case the domain writes, so the fast path is taken', () => {
    for (const c of VALID) {
      expect(RegulationCaseSchema.safeParse(c).success).toBe(true);
      expect(check.fastAccepts(JSON.parse(JSON.stringify(c)))).toBe(true);
    }
  });

  it('never accepts a document zod refuses, whatever is changed in a valid case', () => {
    const docs = VALID.map((c) => ({ doc: JSON.parse(JSON.stringify(c)) as unknown, at: paths(c) }));
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(docs.length - 1), fc.nat(), mutation, (d, p, m) => {
        const { doc, at } = docs[d]!;
        const altered = mutate(doc, at[p % at.length]!, m);
        const zod = RegulationCaseSchema.safeParse(altered).success;
        if (!zod) refused++;
        if (check.fastAccepts(altered)) expect(zod).toBe(true);
        expect(check(altered).success).toBe(zod);
      }),
      { numRuns: 4000, seed: 20261205 },
    );
    // The property saw refusals (the alterations are not all harmless).
    expect(refused).toBeGreaterThan(1000);
  });

  it('the same for the screening fields a partner case brings over the Hub Santé', () => {
    const checkFields = compiledSchema(ScreeningFieldsSchema);
    const docs = VALID.map((c) => ({ doc: JSON.parse(JSON.stringify(c.fields)) as unknown, at: paths(c.fields) }));
    for (const { doc } of docs) expect(checkFields.fastAccepts(doc)).toBe(true);
    fc.assert(
      fc.property(fc.nat(docs.length - 1), fc.nat(), mutation, (d, p, m) => {
        const { doc, at } = docs[d]!;
        const altered = mutate(doc, at[p % at.length]!, m);
        const zod = ScreeningFieldsSchema.safeParse(altered);
        expect(checkFields(altered).success).toBe(zod.success);
        // What it accepts is what zod would hand back (nothing trimmed or rewritten).
        if (checkFields.fastAccepts(altered)) expect(altered).toEqual(zod.data);
      }),
      { numRuns: 2000, seed: 20261205 },
    );
  });

  it('refuses to compile a schema with a format it would not check, one that transforms or one that refines', () => {
    const withUrl = compiledSchema(z.strictObject({ site: z.url() }));
    expect(() => withUrl({ site: 'pas une adresse' })).toThrow(/format\(s\) without a pattern \(uri\)/);
    const transforming = compiledSchema(z.strictObject({ n: z.string().transform(Number) }));
    expect(() => transforming({ n: '1' })).toThrow();
    // A refinement, which zod's JSON Schema would silently leave out.
    const refined = compiledSchema(z.strictObject({ rpps: z.string().refine((v) => v !== '12345', 'RPPS invalide') }));
    expect(() => refined({ rpps: '12345' })).toThrow(/a refinement/);
    const refinedObject = compiledSchema(z.strictObject({ a: z.string() }).refine((v) => v.a !== 'z'));
    expect(() => refinedObject({ a: 'z' })).toThrow(/a refinement/);
  });
});
