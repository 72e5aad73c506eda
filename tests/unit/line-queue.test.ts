/** The lines' distribution rules, on hand-made queues and agents. */
import { describe, expect, it } from 'vitest';
import { parseTelephonyConfig } from '../../src-server/telephony/telephony-config.js';
import { chooseOffers, lineOpen, overflowsToMessage, summarizeQueue, type LineSettings, type ParkedCall, type QueueAgent } from '../../src-shared/domain/line-queue.js';

const line = (number: string, over: Partial<LineSettings> = {}): LineSettings => ({
  number,
  tenant: 't',
  label: number,
  roles: ['arm'],
  priority: 0,
  ringSeconds: 20,
  overflowAfterSeconds: null,
  overflowTo: null,
  announcement: '/a.wav',
  callbackCallerId: null,
  ...over,
});
const lines = new Map([
  ['116117', line('116117', { overflowAfterSeconds: 60, overflowTo: 'medecins' })],
  ['samu', line('samu', { priority: 10, ringSeconds: 15 })],
  ['medecins', line('medecins', { roles: ['physician'] })],
]);
const call = (callId: string, lineNumber: string, arrivedAt: number, over: Partial<ParkedCall> = {}): ParkedCall => ({
  callId,
  line: lineNumber,
  from: '0600000000',
  arrivedAt,
  offeredTo: [],
  offeredAt: null,
  declinedBy: [],
  ...over,
});
const agent = (sipUser: string, freeSince: number | null, role: QueueAgent['role'] = 'arm'): QueueAgent => ({ userId: `t:${sipUser}`, sipUser, role, freeSince });

describe('line queue', () => {
  it('serves the longest waiting call first, to the agent free the longest', () => {
    const offers = chooseOffers([call('b', '116117', 2_000), call('a', '116117', 1_000)], [agent('arm2', 500), agent('arm1', 100)], lines, 3_000);
    expect(offers.map((o) => [o.callId, o.agents.map((a) => a.sipUser).join(), o.ringMs])).toEqual([
      ['a', 'arm1', 20_000],
      ['b', 'arm2', 20_000],
    ]);
  });

  it('a SAMU transfer goes before new calls that waited longer', () => {
    const offers = chooseOffers([call('new', '116117', 1_000), call('transfer', 'samu', 5_000)], [agent('arm1', 0)], lines, 6_000);
    expect(offers).toEqual([{ callId: 'transfer', agents: [agent('arm1', 0)], ringMs: 15_000 }]);
  });

  it('nobody free, a pause, or a phone already ringing: no offer to them', () => {
    const calls = [call('ringing', '116117', 0, { offeredTo: ['arm1'], offeredAt: 10 }), call('next', '116117', 5)];
    expect(chooseOffers(calls, [agent('arm1', 0), agent('arm2', null)], lines, 100)).toEqual([]);
  });

  it('an agent who let a call ring out is not offered it again while a colleague is free', () => {
    const calls = [call('c', '116117', 0, { declinedBy: ['arm1'] })];
    expect(chooseOffers(calls, [agent('arm1', 0), agent('arm2', 50)], lines, 100)[0]!.agents.map((a) => a.sipUser)).toEqual(['arm2']);
    // …but is when nobody else can take it.
    expect(chooseOffers(calls, [agent('arm1', 0)], lines, 100)[0]!.agents.map((a) => a.sipUser)).toEqual(['arm1']);
  });

  it('only the line’s roles answer it; after the overflow delay, the overflow line’s too', () => {
    const calls = [call('c', '116117', 0)];
    const doctor = agent('mrl1', 0, 'physician');
    expect(chooseOffers(calls, [doctor], lines, 59_999)).toEqual([]);
    expect(chooseOffers(calls, [doctor], lines, 60_000)[0]!.agents).toEqual([doctor]);
  });

  it('a ring-all line rings every free agent of its roles at once, the one who let it ring out too; the next call waits for those left', () => {
    const ringAll = new Map([...lines, ['116117', line('116117', { distribution: 'ring-all' })]]);
    const agents = [agent('arm2', 500), agent('arm1', 100), agent('mrl1', 0, 'physician'), agent('arm3', null)];
    const calls = [call('first', '116117', 1_000, { declinedBy: ['arm1'] }), call('second', '116117', 2_000)];
    expect(chooseOffers(calls, agents, ringAll, 3_000)).toEqual([{ callId: 'first', agents: [agent('arm1', 100), agent('arm2', 500)], ringMs: 20_000 }]);
    // The first answered by ARM 2: ARM 1's phone stops ringing, the second call rings there.
    expect(chooseOffers([calls[1]!], [agent('arm1', 100)], ringAll, 4_000)).toEqual([{ callId: 'second', agents: [agent('arm1', 100)], ringMs: 20_000 }]);
    // A phone that already rings for a call of another line is left out.
    const samu = call('transfer', 'samu', 0, { offeredTo: ['arm2'], offeredAt: 2_500 });
    expect(chooseOffers([samu, calls[1]!], agents, ringAll, 3_000).map((o) => o.agents.map((a) => a.sipUser))).toEqual([['arm1']]);
  });

  it('a call waiting past the delay of a line that overflows to a message goes to it; not one ringing at a desk, not before', () => {
    const l = line('116117', { overflowAfterSeconds: 120, overflowMessage: '/plus-tard.wav' });
    expect(overflowsToMessage(call('c', '116117', 0), l, 119_999)).toBe(false);
    expect(overflowsToMessage(call('c', '116117', 0), l, 120_000)).toBe(true);
    expect(overflowsToMessage(call('c', '116117', 0, { offeredTo: ['arm1'], offeredAt: 119_000 }), l, 120_000)).toBe(false);
    expect(overflowsToMessage(call('c', '116117', 0), line('116117'), 10_000_000)).toBe(false);
  });

  it('a line open always, or only in the PDSA periods', () => {
    expect(lineOpen({}, false)).toBe(true);
    expect(lineOpen({ hours: 'pdsa' }, false)).toBe(false);
    expect(lineOpen({ hours: 'pdsa' }, true)).toBe(true);
  });

  it('the wall screen gets each line of the center with its waiting calls and longest wait', () => {
    const calls = [call('a', '116117', 1_000), call('b', '116117', 4_000), call('c', 'samu', 9_000)];
    expect(summarizeQueue(calls, lines, 't', 10_000)).toEqual([
      { line: '116117', label: '116117', waiting: 2, longestWaitMs: 9_000 },
      { line: 'samu', label: 'samu', waiting: 1, longestWaitMs: 1_000 },
      { line: 'medecins', label: 'medecins', waiting: 0, longestWaitMs: 0 },
    ]);
  });
});

describe('the lines’ configuration file', () => {
  const base = { evapi: { host: '127.0.0.1', port: 8448 }, lines: [{ number: '116117', tenant: 't', label: '116117', roles: ['arm'], announcement: 'audio/attente.wav' }] };
  it('fills the defaults and resolves the audio beside the file', () => {
    const c = parseTelephonyConfig(base, '/etc/permanence', (p) => p === '/etc/permanence/audio/attente.wav');
    expect(c.lines[0]).toMatchObject({ announcement: '/etc/permanence/audio/attente.wav', ringSeconds: 20, distribution: 'longest-idle', priority: 0, overflowTo: null, callbackCallerId: null });
    expect(c.maxWaitSeconds).toBe(600);
  });
  it('refuses, in French, a missing audio file, a line twice, an overflow to nowhere', () => {
    expect(() => parseTelephonyConfig(base, '/x', () => false)).toThrow(/message d’attente absent pour 116117/);
    expect(() => parseTelephonyConfig({ ...base, lines: [base.lines[0], base.lines[0]] }, '/x', () => true)).toThrow(/déclarée deux fois/);
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], overflowTo: 'medecins', overflowAfterSeconds: 60 }] }, '/x', () => true)).toThrow(/ligne inconnue \(medecins\)/);
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], roles: [] }] }, '/x', () => true)).toThrow(/lines\.0\.roles/);
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], distribution: 'random' }] }, '/x', () => true)).toThrow(/lines\.0\.distribution/);
    expect(parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], distribution: 'ring-all' }] }, '/x', () => true).lines[0]!.distribution).toBe('ring-all');
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], hours: 'pdsa', closedAnnouncement: 'ferme.wav' }] }, '/x', (p) => !p.endsWith('ferme.wav'))).toThrow(/message de fermeture absent pour 116117/);
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], overflowAfterSeconds: 60 }] }, '/x', () => true)).toThrow(/une destination/);
    expect(() => parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], overflowMessage: 'plus-tard.wav' }] }, '/x', () => true)).toThrow(/overflowAfterSeconds/);
    expect(parseTelephonyConfig({ ...base, lines: [{ ...base.lines[0], overflowAfterSeconds: 60, overflowMessage: 'plus-tard.wav' }] }, '/x', () => true).lines[0]!.overflowMessage).toBe('/x/plus-tard.wav');
  });
});

const recordingsKey = () => Buffer.alloc(32, 1);

describe('the recordings’ settings', () => {
  const base = { evapi: { host: '127.0.0.1', port: 8448 }, lines: [{ number: '116117', tenant: 't', label: '116117', roles: ['arm'], announcement: '/a.wav' }] };
  it('five years by default, folders beside the file, the key asked for only when recording', () => {
    let asked = 0;
    const countedKey = () => (asked++, Buffer.alloc(32, 1));
    expect(parseTelephonyConfig(base, '/etc/p', () => true, countedKey).recording).toBeUndefined();
    expect(asked).toBe(0);
    const c = parseTelephonyConfig({ ...base, recording: { spoolDir: 'spool', storeDir: '/srv/rec' } }, '/etc/p', () => true, countedKey);
    expect(c.recording).toEqual({ spoolDir: '/etc/p/spool', storeDir: '/srv/rec', retentionDays: 1827, key: Buffer.alloc(32, 1) });
  });
  it('rtpengine’s pcaps or its recording daemon’s files: one of the two, said when both or neither', () => {
    const c = parseTelephonyConfig({ ...base, recording: { daemonOutputDir: 'out', storeDir: 'rec', retentionDays: 3653 } }, '/etc/p', () => true, recordingsKey);
    expect(c.recording).toEqual({ daemonOutputDir: '/etc/p/out', storeDir: '/etc/p/rec', retentionDays: 3653, key: Buffer.alloc(32, 1) });
    expect(() => parseTelephonyConfig({ ...base, recording: { spoolDir: 's', daemonOutputDir: 'out', storeDir: 'rec' } }, '/x', () => true, recordingsKey)).toThrow(/l’un des deux/);
    expect(() => parseTelephonyConfig({ ...base, recording: { storeDir: 'rec' } }, '/x', () => true, recordingsKey)).toThrow(/l’un des deux/);
  });
});
