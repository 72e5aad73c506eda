/**
 * The calls recorded outside the lines' queue (a transfer's leg, a callback), as the distributor
 * books them from Kamailio's evapi events — here a scripted evapi peer on loopback instead of
 * Kamailio, so that a recording that fails can be told without breaking rtpengine: it is filed
 * under the center of the user on the call, a failure is an alert on the wall screen's figures,
 * a call of no center here is left out, and a malformed event changes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { LineDistributor } from '../../../src-server/telephony/line-distributor.js';
import { netstring } from '../../../src-server/telephony/evapi-link.js';
import { freshDatabase, TENANT } from '../../fixtures/sync-harness.js';
import { testLine } from '../../fixtures/lines.js';
import { tonePower, wavChannels } from '../../fixtures/audio.js';
import { decryptRecording } from '../../../src-server/telephony/recordings.js';
import { wavFile } from '../../../src-server/telephony/pcap-audio.js';
import { tempDir } from '../../fixtures/tmp.js';
import { waitFor } from '../../fixtures/wait.js';

const { track } = closeAfterEach();

/**
 * A distributor linked to a scripted evapi peer; `send` plays Kamailio. Its recordings come from a
 * spool of its own (empty: rtpengine's is the other tests' business), or from the folder where
 * rtpengine's recording daemon would write (`daemon`).
 */
async function distributorWithScriptedKamailio(options: { daemon?: boolean } = {}) {
  const { db, drop } = await freshDatabase('postgres');
  const store = tempDir();
  const key = randomBytes(32);
  const daemonOutputDir = join(store.path, 'daemon-output');
  let peer: net.Socket | null = null;
  const kamailio = net.createServer((socket) => (peer = socket));
  await new Promise<void>((r) => kamailio.listen(0, '127.0.0.1', () => r()));
  const changed: string[] = [];
  const logged: string[] = [];
  const distributor = new LineDistributor(
    {
      evapi: { host: '127.0.0.1', port: (kamailio.address() as net.AddressInfo).port },
      lines: [testLine()],
      recording: { ...(options.daemon ? { daemonOutputDir } : { spoolDir: join(store.path, 'spool') }), storeDir: join(store.path, 'store'), key, retentionDays: 30 },
    },
    {
      db,
      now: () => Date.now(),
      log: (_level, message) => void logged.push(message),
      markAbsent: async () => {},
      changed: (tenant) => void changed.push(tenant),
      timeZone: async () => 'Europe/Paris',
      inPdsa: async () => true,
    },
  );
  await distributor.start();
  track({
    close: async () => {
      await distributor.stop();
      kamailio.close();
      await db.close();
      await drop();
      store.cleanup();
    },
  });
  await waitFor('the distributor connected', () => peer !== null);
  const send = (event: unknown) => peer!.write(netstring(typeof event === 'string' ? event : JSON.stringify(event)));
  return { db, distributor, send, changed, logged, key, daemonOutputDir, storeDir: join(store.path, 'store') };
}

describe('calls recorded outside the queue', () => {
  it('filed under the center of the user on the call; a recording that did not start is an alert in the day’s figures', async () => {
    const { db, distributor, send, changed } = await distributorWithScriptedKamailio();
    send({ event: 'recording', callid: 'transfer-leg-1', patient: '0612345678', agent: 'mrl1', callerMedia: 'm=audio 40000 RTP/AVP 8' });
    await waitFor('booked', async () => (await db.query('SELECT 1 FROM recorded_calls')).rows.length === 1);
    expect((await db.query('SELECT tenant, caller, agent, caller_media, recording FROM recorded_calls')).rows).toEqual([
      { tenant: TENANT, caller: '0612345678', agent: 'mrl1', caller_media: 'm=audio 40000 RTP/AVP 8', recording: 'recording' },
    ]);
    expect((await distributor.status(TENANT)).recordingFailuresToday).toBe(0);

    send({ event: 'recording-failed', callid: 'transfer-leg-1' });
    await waitFor('the alert', () => changed.includes(TENANT));
    expect((await db.query('SELECT recording FROM recorded_calls')).rows).toEqual([{ recording: 'failed' }]);
    expect((await distributor.status(TENANT)).recordingFailuresToday).toBe(1);

    // Hung up: its end is booked (the recording's collection looks for it).
    send({ event: 'ended', callid: 'transfer-leg-1', by: 'mrl1' });
    await waitFor('ended', async () => (await db.query('SELECT 1 FROM recorded_calls WHERE ended_at IS NOT NULL')).rows.length === 1);
  });

  it('a call with nobody of this center on it is left out (logged); a malformed event changes nothing', async () => {
    const { db, send, logged } = await distributorWithScriptedKamailio();
    send({ event: 'recording', callid: 'elsewhere-1', patient: '0612345678', agent: 'somebody-else', callerMedia: '' });
    send('{"event":"recording","callid":"bad-1","patient":"0612345678"}');
    send({ event: 'recording', callid: 'after-the-bad-one', patient: '0612345678', agent: 'arm1', callerMedia: '' });
    await waitFor('the next good one booked', async () => (await db.query("SELECT 1 FROM recorded_calls WHERE call_id = 'after-the-bad-one'")).rows.length === 1);
    expect((await db.query('SELECT call_id FROM recorded_calls')).rows).toEqual([{ call_id: 'after-the-bad-one' }]);
    expect(logged).toEqual(expect.arrayContaining(['recorded call of no center here', 'evapi event refused']));
  });
});

/**
 * A WAV as rtpengine's recording daemon writes one (mixed: both voices in one channel, 8 kHz):
 * the caller at 440 Hz, the agent at 1 kHz. `closed`: the sizes filled in, as when the call left
 * rtpengine; otherwise the placeholders a file being written has.
 */
function daemonWav(seconds: number, closed: boolean): Buffer {
  const mixed = Int16Array.from({ length: Math.round(seconds * 8000) }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000) + 6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  const wav = wavFile([mixed]);
  if (!closed) {
    wav.writeUInt32LE(0xffffffff, 4);
    wav.writeUInt32LE(0, 40);
  }
  return wav;
}

/** A file the daemon has not touched for two minutes. */
function leftLongAgo(path: string): void {
  utimesSync(path, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
}

describe('recordings from rtpengine’s recording daemon (a setting, for hosts with its kernel module)', () => {
  it('taken once the call is over and the file closed, encrypted with both voices, the file in clear deleted; a daemon that stopped mid-file: what it wrote is kept; a file that is not audio: an alert', async () => {
    const { db, distributor, send, logged, key, daemonOutputDir, storeDir } = await distributorWithScriptedKamailio({ daemon: true });
    mkdirSync(daemonOutputDir, { recursive: true });
    const fileOf = (callId: string) => join(daemonOutputDir, `${callId}-mix.wav`);
    const recordingOf = async (callId: string) => (await db.query<{ recording: string }>('SELECT recording FROM recorded_calls WHERE call_id = $1', [callId])).rows[0]?.recording;

    // A callback under way: the daemon writes its file; nothing is taken while the call goes on.
    send({ event: 'recording', callid: 'daemon-call-1', patient: '0612345678', agent: 'arm1', callerMedia: 'm=audio 40000 RTP/AVP 8' });
    await waitFor('booked', async () => (await recordingOf('daemon-call-1')) === 'recording');
    writeFileSync(fileOf('daemon-call-1'), daemonWav(1, false));
    await distributor.collectRecordings();
    expect(existsSync(fileOf('daemon-call-1'))).toBe(true);
    expect(await recordingOf('daemon-call-1')).toBe('recording');

    // Hung up: the daemon closes the file (3 s in all), and it is taken.
    writeFileSync(fileOf('daemon-call-1'), daemonWav(3, true));
    send({ event: 'ended', callid: 'daemon-call-1', by: 'arm1' });
    await waitFor('stored', async () => (await recordingOf('daemon-call-1')) === 'stored', 10_000);
    expect(existsSync(fileOf('daemon-call-1'))).toBe(false);
    const { rows } = await db.query<{ file: string; duration_ms: number; format: string; caller: string; agent: string }>("SELECT file, duration_ms, format, caller, agent FROM recordings WHERE call_id = 'daemon-call-1'");
    expect(rows).toEqual([{ file: expect.any(String), duration_ms: 3000, format: 'ogg-vorbis-mixed-1ch', caller: '0612345678', agent: 'arm1' }]);
    const sealed = readFileSync(join(storeDir, rows[0]!.file));
    expect(sealed.includes(Buffer.from('OggS'))).toBe(false);
    const wav = spawnSync('sox', ['-q', '-t', 'ogg', '-', '-t', 'wav', '-b', '16', '-'], { input: decryptRecording(key, sealed), maxBuffer: 64 << 20 });
    expect(wav.status).toBe(0);
    const [mixed] = wavChannels(wav.stdout);
    expect(Math.abs(mixed!.length / 8000 - 3)).toBeLessThan(0.05);
    // Both voices are in it.
    expect(tonePower(mixed!, 440)).toBeGreaterThan(100 * tonePower(mixed!, 700));
    expect(tonePower(mixed!, 1_000)).toBeGreaterThan(100 * tonePower(mixed!, 700));

    // The daemon stopped during a call: its file never closed. Once the call is over and the file
    // left unchanged, what it holds is kept (2 s), and the log says so.
    send({ event: 'recording', callid: 'daemon-call-2', patient: '0698765432', agent: 'arm1', callerMedia: '' });
    await waitFor('booked', async () => (await recordingOf('daemon-call-2')) === 'recording');
    writeFileSync(fileOf('daemon-call-2'), daemonWav(2, false));
    send({ event: 'ended', callid: 'daemon-call-2', by: 'arm1' });
    await waitFor('ended', async () => (await db.query("SELECT 1 FROM recorded_calls WHERE call_id = 'daemon-call-2' AND ended_at IS NOT NULL")).rows.length === 1);
    await distributor.collectRecordings();
    expect(await recordingOf('daemon-call-2')).toBe('recording');
    leftLongAgo(fileOf('daemon-call-2'));
    await distributor.collectRecordings();
    expect(await recordingOf('daemon-call-2')).toBe('stored');
    expect((await db.query("SELECT duration_ms FROM recordings WHERE call_id = 'daemon-call-2'")).rows).toEqual([{ duration_ms: 2000 }]);
    expect(logged).toContain('recording left unclosed by the recording daemon: what it wrote is kept');

    // A file that is not audio: the call's recording is an alert, and the file is gone all the same.
    send({ event: 'recording', callid: 'daemon-call-3', patient: '0600000003', agent: 'arm1', callerMedia: '' });
    await waitFor('booked', async () => (await recordingOf('daemon-call-3')) === 'recording');
    writeFileSync(fileOf('daemon-call-3'), 'not a wav file at all, but long enough to look like one');
    leftLongAgo(fileOf('daemon-call-3'));
    send({ event: 'ended', callid: 'daemon-call-3', by: 'arm1' });
    await waitFor('the alert', async () => (await recordingOf('daemon-call-3')) === 'failed', 10_000);
    expect(existsSync(fileOf('daemon-call-3'))).toBe(false);
    expect(logged).toContain('recording could not be stored');
    expect((await distributor.status(TENANT)).recordingFailuresToday).toBe(1);
  });
});
