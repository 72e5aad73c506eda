/**
 * The Hub schemas' `date-time` format, read in place (src-server/hubsante/date-time-format.ts), must
 * accept and refuse exactly what ajv-formats' "full" rule does: texts built from the pieces of a
 * date-time, each piece valid or not (months 00 – 19, days 00 – 39, 29 February of leap and common
 * years, 23:59:60 with offsets, offsets in every spelling, separators, case, stray characters).
 */
import fc from 'fast-check';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { describe, expect, it } from 'vitest';
import { isDateTime } from '../../src-server/hubsante/date-time-format.js';

const reference = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const pad = (n: number) => String(n).padStart(2, '0');
const piece = <T>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: odd });

const year = fc.oneof(fc.constantFrom('2000', '1900', '2024', '2023', '2100', '0000', '2026'), digits(4));
const month = piece(fc.integer({ min: 0, max: 19 }).map(pad), fc.constantFrom('1', '123', 'ab', ''));
const day = piece(fc.integer({ min: 0, max: 39 }).map(pad), fc.constantFrom('9', '001', 'x1'));
const separator = piece(fc.constantFrom('T', 't', ' '), fc.constantFrom('\t', '\u00a0', 'TT', '', 'x', '_'));
const hour = piece(fc.oneof(fc.integer({ min: 0, max: 29 }).map(pad), fc.constant('23')), fc.constantFrom('7', '123'));
const minute = piece(fc.oneof(fc.integer({ min: 0, max: 69 }).map(pad), fc.constant('59')), fc.constantFrom('5', ''));
const second = piece(fc.oneof(fc.integer({ min: 0, max: 69 }).map(pad), fc.constant('60'), fc.constant('59')), fc.constantFrom('6', '600'));
const fraction = fc.oneof(fc.constant(''), digits(1).map((d) => `.${d}`), digits(6).map((d) => `.${d}`), fc.constantFrom('.', ',5'));
const offset = fc.oneof(
  fc.constantFrom('Z', 'z', '', 'UTC', '+', '-1'),
  fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 29 }).map(pad), fc.constantFrom('', ':'), fc.oneof(fc.integer({ min: 0, max: 69 }).map(pad), fc.constant(''), fc.constant('0'))).map((p) => p.join('')),
);
const dateTime = fc
  .tuple(year, month, day, separator, hour, minute, second, fraction, offset, fc.constantFrom('', '', '', ' ', 'x', '\n'))
  .map(([y, mo, d, s, h, mi, se, f, o, tail]) => `${y}-${mo}-${d}${s}${h}:${mi}:${se}${f}${o}${tail}`);

describe('isDateTime (the Hub schemas’ date-time format)', () => {
  it('gives ajv-formats’ full verdict on generated date-times', () => {
    fc.assert(
      fc.property(dateTime, (text) => {
        expect(isDateTime(text)).toBe(reference(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives ajv-formats’ full verdict on any short text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        expect(isDateTime(text)).toBe(reference(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('takes what the Hub sends and refuses impossible dates', () => {
    expect(isDateTime('2026-12-06T07:15:00+01:00')).toBe(true);
    expect(isDateTime('2024-02-29T12:00:00Z')).toBe(true);
    expect(isDateTime('2023-02-29T12:00:00Z')).toBe(false);
    expect(isDateTime('2026-12-31T23:59:60Z')).toBe(true);
    expect(isDateTime('2026-12-31T23:59:60+01:00')).toBe(false);
    expect(isDateTime('2027-01-01T00:59:60+01:00')).toBe(true);
    expect(isDateTime('2026-12-06T07:15:00')).toBe(false);
    expect(isDateTime('2026-12-06T07:15:00+24:00')).toBe(false);
  });
});
