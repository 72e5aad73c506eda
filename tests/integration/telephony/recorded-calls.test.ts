/**
 * The calls recorded outside the lines' queue (a transfer's leg, a callback), as the distributor
 * books them from Kamailio's evapi events — here a scripted evapi peer on loopback instead of
 * Kamailio, so that a recording that fails can be told without breaking rtpengine: it is filed
 * under the center of the user on the call, a failure is an alert on the wall screen's figures,
 * a call of no center here is left out, and a malformed event changes nothing.
 */
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import { LineDistributor } from '../../../src-server/telephony/line-distributor.js';
import { netstring } from '../../../src-server/telephony/evapi-link.js';
import { freshDatabase, TENANT } from '../../fixtures/sync-harness.js';
import { testLine } from '../../fixtures/lines.js';
import { tempDir } from '../../fixtures/tmp.js';
import { waitFor } from '../../fixtures/wait.js';

const { track } = closeAfterEach();

/** A distributor linked to a scripted evapi peer; `send` plays Kamailio. */
async function distributorWithScriptedKamailio() {
  const { db, drop } = await freshDatabase('postgres');
  const store = tempDir();
  let peer: net.Socket | null = null;
  const kamailio = net.createServer((socket) => (peer = socket));
  await new Promise<void>((r) => kamailio.listen(0, '127.0.0.1', () => r()));
  const changed: string[] = [];
  const logged: string[] = [];
  const distributor = new LineDistributor(
    {
      evapi: { host: '127.0.0.1', port: (kamailio.address() as net.AddressInfo).port },
      lines: [testLine()],
      // A spool of its own (empty): rtpengine's is the other tests' business.
      recording: { spoolDir: join(store.path, 'spool'), storeDir: join(store.path, 'store'), key: randomBytes(32), retentionDays: 30 },
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
  return { db, distributor, send, changed, logged };
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
