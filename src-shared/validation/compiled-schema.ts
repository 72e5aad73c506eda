/**
 * A zod schema compiled into a JSON Schema validator (Ajv), for the boundaries that check many
 * documents in a row: a new workstation's initial sync validates every case of the center
 * (1,000,000 in the benchmark), where zod took ~11 µs a case and the compiled validator ~1.7 µs.
 *
 * zod stays the authority: the JSON Schema is generated from the zod schema (one source), the
 * compiled validator only ever says "valid" faster, and a document it refuses is handed to zod,
 * whose verdict (and message) is the one returned. Its options keep it at least as strict as zod:
 * string lengths in UTF-16 units (`unicode: false`, as zod counts) and patterns without flags
 * (zod's case-insensitive patterns become case-sensitive: stricter, so zod decides those). The
 * schemas given here must have no transform or refinement: zod's JSON Schema export refuses a
 * transform, and drops a refinement silently, so the compile refuses one itself (a schema that grows
 * either fails at its first check, not silently).
 * zod's `.trim()` is not in the JSON Schema (zod checks lengths after trimming): the compiled
 * validator accepts no trimmed field with leading or trailing white space, which zod then judges.
 * Tested against zod on valid and altered documents (tests/unit/compiled-schema.test.ts).
 *
 * Compiled on first use: Ajv generates code (`new Function`), which the workstation's core and the
 * server allow; nothing in the renderer imports this.
 */
import { _ } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';

export interface CompiledCheck<T> {
  (value: unknown): z.ZodSafeParseResult<T>;
  /** The compiled validator's own verdict (tests: it must never accept what zod refuses). */
  fastAccepts(value: unknown): boolean;
  /** Compile now rather than at the first check (a server about to take a burst of them). */
  prepare(): void;
}

export function compiledSchema<T>(schema: z.ZodType<T>): CompiledCheck<T> {
  let fast: ((value: unknown) => boolean) | null = null;
  const fastAccepts = (value: unknown) => (fast ??= compile(schema))(value);
  const prepare = () => void (fast ??= compile(schema));
  return Object.assign((value: unknown): z.ZodSafeParseResult<T> => (fastAccepts(value) ? { success: true, data: value as T } : schema.safeParse(value)), { fastAccepts, prepare });
}

function compile(schema: z.ZodType): (value: unknown) => boolean {
  const unchecked: string[] = [];
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    override: ({ zodSchema, jsonSchema }) => {
      // Formats are not checked by the compiled validator: each must come with zod's pattern for it.
      if (typeof jsonSchema.format === 'string' && typeof jsonSchema.pattern !== 'string') unchecked.push(jsonSchema.format);
      // zod's .trim() checks the lengths and patterns that follow on the trimmed text: the compiled
      // validator takes only strings that trimming leaves as they are, and leaves the others to zod.
      const checks = (definition(zodSchema).checks ?? []).map(definition);
      // A refinement (.refine, .superRefine) is left out of the JSON Schema: only zod can judge it.
      if (checks.some((c) => c.check === 'custom')) throw new Error('compiledSchema: a refinement (zod alone can check it)');
      const rewrites = checks.filter((c) => c.check === 'overwrite');
      if (rewrites.length === 0) return;
      if (!rewrites.every((c) => isTrim(c.tx))) throw new Error('compiledSchema: a string rewrite other than trim() (zod alone can check it)');
      (jsonSchema as Record<string, unknown>)[TRIMMED] = true;
    },
  });
  if (unchecked.length > 0) throw new Error(`compiledSchema: format(s) without a pattern (${unchecked.join(', ')}): the compiled validator would not check them`);
  // `unicode: false` (lengths in UTF-16 units, as zod counts) is still honoured by Ajv 8 but logs a
  // deprecation at each compile; strict mode throws rather than logs, so no other message is lost.
  const ajv = new Ajv2020({ unicode: false, unicodeRegExp: false, validateFormats: false, strict: true, allErrors: false, logger: false });
  ajv.addKeyword({
    keyword: TRIMMED,
    type: 'string',
    schemaType: 'boolean',
    code: (cxt) => cxt.fail(_`${cxt.data} !== ${cxt.data}.trim()`),
  });
  return ajv.compile(json);
}

const TRIMMED = 'x-permanence-trimmed';

/** A zod schema's or check's definition (zod 4's internals for tools, under `_zod`). */
interface Definition {
  checks?: unknown[];
  check?: string;
  tx?: (s: string) => string;
}
const definition = (node: unknown): Definition => (node as Record<'_zod', { def: Definition }>)['_zod'].def;

const isTrim = (tx: ((s: string) => string) | undefined) => tx !== undefined && tx(' \u00a0Aé\n') === 'Aé' && tx('a b') === 'a b';
