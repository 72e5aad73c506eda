/**
 * The services the later suites rely on, as started by scripts/services.sh: real Kamailio spoken
 * to in SIP over WebSocket, real PostgreSQL and RabbitMQ reachable on loopback.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function sipOverWs(): Promise<{ send(msg: string): Promise<string>; close(): void }> {
  const ws = new WebSocket('ws://127.0.0.1:8088', 'sip');
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        send: (msg) =>
          new Promise((ok) => {
            ws.once('message', (data) => ok(data.toString()));
            ws.send(msg);
          }),
        close: () => ws.close(),
      }),
    );
  });
}

function request(method: string, user: string, cseq: number, callId: string, extra = ''): string {
  const uri = 'sip:127.0.0.1';
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/WS test.invalid;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    'Max-Forwards: 70',
    `To: <sip:${user}@127.0.0.1>`,
    `From: <sip:${user}@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${user}@test.invalid;transport=ws>`,
    'Expires: 60',
    extra,
    'Content-Length: 0',
    '',
    '',
  ]
    .filter((l, i, a) => l !== '' || i >= a.length - 2)
    .join('\r\n');
}

function register(password: string): Promise<string> {
  return (async () => {
    const sip = await sipOverWs();
    const callId = randomBytes(8).toString('hex');
    const challenge = await sip.send(request('REGISTER', 'arm1', 1, callId));
    expect(challenge).toMatch(/^SIP\/2.0 401/);
    const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
    const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
    const ha1 = md5(`arm1:${realm}:${password}`);
    const response = md5(`${ha1}:${nonce}:${md5('REGISTER:sip:127.0.0.1')}`);
    const auth = `Authorization: Digest username="arm1", realm="${realm}", nonce="${nonce}", uri="sip:127.0.0.1", response="${response}", algorithm=MD5`;
    const answer = await sip.send(request('REGISTER', 'arm1', 2, callId, auth));
    sip.close();
    return answer.split('\r\n')[0]!;
  })();
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('test services (scripts/services.sh)', () => {
  it('Kamailio answers OPTIONS over WebSocket', async () => {
    const sip = await sipOverWs();
    const reply = await sip.send(request('OPTIONS', 'arm1', 1, randomBytes(8).toString('hex')));
    sip.close();
    expect(reply.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
  });

  it('Kamailio registers a softphone with digest auth and refuses a wrong password', async () => {
    expect(await register('arm1pass')).toBe('SIP/2.0 200 OK');
    expect(await register('wrong')).toBe('SIP/2.0 403 Forbidden');
  });

  it('PostgreSQL and RabbitMQ listen on loopback', async () => {
    expect(await tcpOpen(5432)).toBe(true);
    expect(await tcpOpen(5672)).toBe(true);
  });
});
