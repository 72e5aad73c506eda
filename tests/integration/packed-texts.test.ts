/**
 * Long texts sent to PostgreSQL as one binary parameter (src-server/db/packed-texts.ts): what comes
 * back out in SQL is exactly what went in, whatever the characters, for each row of a batch.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PackedTexts, unpackedText } from '../../src-server/db/packed-texts.js';
import { freshPostgresForTests } from '../fixtures/fresh-postgres.js';

const pg = freshPostgresForTests();

async function roundTrip(values: (string | null)[]): Promise<(string | null)[]> {
  const texts = new PackedTexts();
  const rows = values.map((v, i) => ({ i, ...texts.add(v) }));
  const { rows: out } = await pg.db.query<{ t: string | null }>(
    `SELECT ${unpackedText('$2', 'at', 'len')} AS t FROM json_to_recordset($1::json) AS r(i int, at int, len int) ORDER BY i`,
    [JSON.stringify(rows), texts.bytes()],
  );
  return out.map((r) => r.t);
}

describe('texts packed in one binary parameter', () => {
  it('come back exactly: accents, emoji, quotes, backslashes, newlines, empty and null, in order', async () => {
    const values = ['{"nom":"Léa Müller","note":"douleur \\"aiguë\\"\\n"}', '', null, '😀 Ω ñ 中文', 'a\\b"c\'d\ne\tf', 'x'.repeat(70_000), '\u001e\u001f'];
    expect(await roundTrip(values)).toEqual(values);
  });

  it('hold for any batch of texts PostgreSQL can store (no NUL)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000')), { nil: null }), { maxLength: 40 }), async (values) => {
        expect(await roundTrip(values)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it('keep their places when the batch outgrows the buffer several times (each text encoded once, as it is added)', async () => {
    // 400 texts of 1,000 to 1,400 characters, accents and emoji: about 650 kB, ten times the first buffer.
    const values = Array.from({ length: 400 }, (_, i) => `${i} Élodie 😀 « fièvre » ${'é'.repeat(500 + i)}${'x'.repeat(500)}`);
    const back = await roundTrip(values);
    expect(back).toEqual(values);
  });

  it('a lone surrogate comes back as U+FFFD (as Buffer.from writes it) and the next text keeps its place', async () => {
    expect(await roundTrip(['a\uD800b', 'suivant'])).toEqual(['a\uFFFDb', 'suivant']);
  });

  it('an empty batch sends an empty parameter', () => {
    expect(new PackedTexts().bytes().length).toBe(0);
  });
});
