/**
 * The ids derived from a partner's message or case (its mutation, our case) must never change: a
 * redelivery has to meet its known verdict, a case its row. uuidFrom is RFC 4122 v5 computed with
 * node:crypto; it must give exactly what the uuid package's v5 gives for the same namespace.
 */
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { uuidFrom } from '../../src-server/hubsante/hub-service.js';

const NAMESPACE = 'b7d1f6a2-3c4e-4f8a-9d0b-5e6f7a8b9c0d';

describe('uuidFrom', () => {
  it('is the RFC 4122 v5 id of the name in our namespace, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (name) => {
        expect(uuidFrom(name)).toBe(uuidv5(name, NAMESPACE));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the ids already stored (values the uuid package gave before)', () => {
    expect(uuidFrom('')).toBe('854ebab0-4813-5335-9012-ead59469d4ff');
    expect(uuidFrom('abc')).toBe('48dd1673-00f3-5421-906a-80745550dfed');
  });
});
