/** The evapi link's framing and validation: netstrings split across reads, broken frames refused. */
import { describe, expect, it } from 'vitest';
import { LineEventSchema, netstring, NetstringReader } from '../../src-server/telephony/evapi-link.js';

describe('evapi netstrings', () => {
  it('frames split anywhere, several in one read, multi-byte characters counted in bytes', () => {
    const stream = Buffer.from(netstring('{"a":"é"}') + netstring('{"b":2}'));
    const reader = new NetstringReader();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i += 3) out.push(...reader.push(stream.subarray(i, i + 3)));
    expect(out).toEqual(['{"a":"é"}', '{"b":2}']);
  });

  it('a broken frame is an error, not a silent misread', () => {
    expect(() => new NetstringReader().push(Buffer.from('5:hello;'))).toThrow(/comma/);
    expect(() => new NetstringReader().push(Buffer.from('x5:hello,'))).toThrow(/length/);
  });

  it('events are checked: a queued call must carry its transaction', () => {
    expect(LineEventSchema.safeParse({ event: 'queued', line: '116117', callid: 'c', from: '06', hubCase: '', announceMs: 1, tindex: 1, tlabel: 2 }).success).toBe(true);
    expect(LineEventSchema.safeParse({ event: 'queued', line: '116117', callid: 'c', from: '06', hubCase: '', announceMs: 1 }).success).toBe(false);
    expect(LineEventSchema.safeParse({ event: 'teleport', callid: 'c' }).success).toBe(false);
  });
});
