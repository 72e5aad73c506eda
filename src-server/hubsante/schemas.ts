/**
 * The ANS Hub Santé JSON Schemas (model 3.4.1), pinned in resources/hubsante/3.4.1 with their
 * provenance (PROVENANCE.md, manifest.json), validated with ajv (draft-07 + formats). Upstream
 * every use-case schema claims the same `$id`: they are registered under their file names (which
 * is how they reference each other) with `$id` and `$schema` removed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src-node-shared/package-root.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isDateTime } from './date-time-format.js';
import { readEnvelope, type DecodedMessage, type HubEnvelope } from '../../src-shared/domain/hubsante-envelope.js';

export const HUB_MODEL_VERSION = '3.4.1';
export const SCHEMA_DIR = join(packageRoot(), 'resources/hubsante', HUB_MODEL_VERSION);

export interface SchemaError {
  /** JSON pointer of what failed ("/content/0/jsonContent/…/createCaseHealth/caseId"). */
  path: string;
  message: string;
}

const FULL = 'EDXL-DE-full.schema.json';
const ENVELOPE_ONLY = 'EDXL-DE-envelope-only.schema.json';
type Branch = { allOf?: [unknown, Branch]; properties: { message: { required: [string] } } };

export class HubSchemas {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** The use-case keys of the full schema's `oneOf`, each with the full schema restricted to its branch. */
  private readonly branchKeys: string[] = [];

  constructor(dir = SCHEMA_DIR) {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
    addFormats.default(this.ajv);
    // The same rule, read in place (date-time-format.ts: ajv-formats' split and captures made ~7 kB
    // of garbage a message in a burst).
    this.ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
      delete schema.$id;
      delete schema.$schema;
      this.ajv.addSchema(schema, file);
      if (file !== FULL) continue;
      // The content of a message is one of 23 use cases ('oneOf'): checking it means checking all 23
      // (the RC-DE header again in each). A message naming exactly one use case can only match that
      // branch, so the full schema restricted to it gives the same verdict, for a fraction of the work.
      const definitions = schema.definitions as { EmbeddedJsonContent: { type: string; oneOf: Branch[] } };
      for (const branch of definitions.EmbeddedJsonContent.oneOf) {
        const key = (branch.allOf ? branch.allOf[1] : branch).properties.message.required[0];
        this.branchKeys.push(key);
        const restricted = structuredClone(schema) as typeof schema & { definitions: Record<string, unknown> };
        restricted.definitions.EmbeddedJsonContent = { type: definitions.EmbeddedJsonContent.type, ...branch };
        this.ajv.addSchema(restricted, branchSchema(key));
      }
    }
  }

  private validator(file: string): ValidateFunction {
    let v = this.compiled.get(file);
    if (!v) {
      v = this.ajv.getSchema(file);
      if (!v) throw new Error(`schéma Hub Santé absent : ${file}`);
      this.compiled.set(file, v);
    }
    return v;
  }

  /**
   * Compile now the validators of these use cases (and of the full schema and the envelope alone),
   * rather than at the first message of each: ajv compiles a use case in 5 – 60 ms, which a server
   * taking over a backlog (a restart, a failover) would otherwise spend on its first messages.
   */
  prepare(useCases: readonly string[]): void {
    for (const key of useCases) {
      if (!this.branchKeys.includes(key)) throw new Error(`cas d’usage Hub Santé inconnu du modèle : ${key}`);
      this.validator(branchSchema(key));
    }
    this.validator(FULL);
    this.validator(ENVELOPE_ONLY);
  }

  /** Errors of `data` against one schema file (empty when valid). */
  check(file: string, data: unknown): SchemaError[] {
    const v = this.validator(file);
    if (v(data)) return [];
    return explain(v.errors ?? []);
  }

  /**
   * Errors of a whole message against EDXL-DE-full (empty when valid). A message with one content
   * item naming exactly one use case is checked against that use case's branch alone (same
   * verdict: no other branch can match it); otherwise, or when it fails, against the full schema,
   * whose errors are the ones reported.
   */
  checkMessage(data: unknown): SchemaError[] {
    const content = (data as { content?: unknown } | null)?.content;
    const message = Array.isArray(content) && content.length === 1 ? (content[0] as { jsonContent?: { embeddedJsonContent?: { message?: unknown } } } | null)?.jsonContent?.embeddedJsonContent?.message : undefined;
    if (message && typeof message === 'object' && !Array.isArray(message)) {
      const named = this.branchKeys.filter((k) => (message as Record<string, unknown>)[k] !== undefined);
      if (named.length === 1 && this.validator(branchSchema(named[0]!))(data)) return [];
    }
    return this.check(FULL, data);
  }

  /** A whole message: the full schema, then the rules no schema says. */
  decode(data: unknown): { ok: true; value: DecodedMessage } | { ok: false; errors: SchemaError[] } {
    const errors = this.checkMessage(data);
    if (errors.length) {
      // As the Hub does: an envelope that is itself valid tells a content error from an envelope error.
      const envelopeErrors = this.check(ENVELOPE_ONLY, data);
      return { ok: false, errors: envelopeErrors.length ? envelopeErrors : errors };
    }
    const r = readEnvelope(data as HubEnvelope);
    return r.ok ? r : { ok: false, errors: [{ path: r.path, message: r.message }] };
  }
}

const branchSchema = (key: string) => `EDXL-DE-full.${key}.schema.json`;

/** ajv's errors as paths and French-prefixed messages; oneOf noise reduced to the deepest errors. */
function explain(errors: ErrorObject[]): SchemaError[] {
  const deep = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const list = (deep.length ? deep : errors).map((e) => ({
    path: e.instancePath + (e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : ''),
    message:
      e.keyword === 'additionalProperties'
        ? 'propriété non prévue par le modèle'
        : e.keyword === 'required'
          ? 'champ obligatoire absent'
          : `${e.keyword} : ${e.message ?? 'invalide'}`,
  }));
  const seen = new Set<string>();
  return list.filter((x) => (seen.has(`${x.path}|${x.message}`) ? false : (seen.add(`${x.path}|${x.message}`), true)));
}
