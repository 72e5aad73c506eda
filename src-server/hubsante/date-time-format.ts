/**
 * JSON Schema's `date-time` format (RFC 3339: a full date, `T` or a space, a full time with its
 * offset), with ajv-formats' "full" rules exactly: month 1 – 12, the day within its month (leap
 * years), 23:59:60 only as a leap second at the end of a UTC day, an offset of at most 23:59.
 *
 * Why not ajv-formats' own: it splits the text and matches two regular expressions with captures
 * for each of the 51 dates of the Hub schemas, on every message in and every answer out: ~7 kB of
 * short-lived strings and arrays a message in a burst, 1 % of the server's CPU under the profiler.
 * This one reads the same text in place. `tests/unit/date-time-format.test.ts` checks it against
 * ajv-formats' rule on generated texts.
 */
const SHAPE = /^\d\d\d\d-\d\d-\d\d[t\s]\d\d:\d\d:\d\d(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two digits at `at` as a number. */
const two = (s: string, at: number): number => (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);

export function isDateTime(s: string): boolean {
  if (!SHAPE.test(s)) return false;
  const year = two(s, 0) * 100 + two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS[month]!)) return false;
  const hr = two(s, 11);
  const min = two(s, 14);
  const sec = two(s, 17); // the whole seconds: "59.9" < 60 as 59 < 60, "60.5" < 61 as 60 < 61
  // The offset: "Z", or a sign then HH, HHMM or HH:MM to the end.
  let tzSign = 1;
  let tzH = 0;
  let tzM = 0;
  const last = s.charCodeAt(s.length - 1);
  if (last !== 90 && last !== 122) {
    let at = 19;
    while (s[at] !== '+' && s[at] !== '-') at++;
    tzSign = s[at] === '-' ? -1 : 1;
    tzH = two(s, at + 1);
    const rest = s.length - (at + 3);
    if (rest === 2) tzM = two(s, at + 3);
    else if (rest === 3) tzM = two(s, at + 4);
  }
  if (tzH > 23 || tzM > 59) return false;
  if (hr <= 23 && min <= 59 && sec < 60) return true;
  // A leap second: 23:59:60 in UTC.
  const utcMin = min - tzM * tzSign;
  const utcHr = hr - tzH * tzSign - (utcMin < 0 ? 1 : 0);
  return (utcHr === 23 || utcHr === -1) && (utcMin === 59 || utcMin === -1) && sec < 61;
}
