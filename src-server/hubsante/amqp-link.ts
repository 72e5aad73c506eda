/**
 * The center's AMQP 0-9-1 link to the Hub Santé (amqplib): TLS 1.2 with the center's client
 * certificate, SASL EXTERNAL (the broker takes the user from the certificate's CN), peer and host
 * name verified, passive declares only (the Hub gives no configure right), publisher confirms,
 * persistent `application/json` messages, consumers on `<id>.message`, `<id>.ack` and `<id>.info`
 * with manual acknowledgement (the caller acknowledges once its data is committed). amqplib has no
 * automatic recovery: this class reconnects with a capped exponential backoff and reopens channels.
 * Certificates and passphrases are read from files and never logged.
 */
import { mark } from '../latency-marks.js';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';

export type HubQueue = 'message' | 'ack' | 'info';
export type LinkState = 'stopped' | 'connecting' | 'connected' | 'disconnected';

export interface HubTls {
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
  passphraseFile?: string;
  caFile: string;
}

export interface HubLinkOptions {
  clientId: string;
  /** amqps://host:port */
  url: string;
  vhost: string;
  tls: HubTls;
  /** Name checked against the broker's certificate (defaults to the URL's host). */
  servername?: string;
  prefetch?: number;
  heartbeatSeconds?: number;
  /** First and largest delay between two connection attempts. */
  backoffMs?: { min: number; max: number };
  /** A delivery on one of our queues; call `link.ack(msg)` once it is committed. */
  onDelivery: (queue: HubQueue, msg: ConsumeMessage) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
}

export class NotConnectedError extends Error {
  constructor() {
    super('pas de connexion au Hub Santé');
  }
}

export class HubAmqpLink extends EventEmitter {
  state: LinkState = 'stopped';
  lastError: string | null = null;
  connectedAt: number | null = null;
  private model: ChannelModel | null = null;
  private pub: ConfirmChannel | null = null;
  private sub: Channel | null = null;
  private stopping = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Publishes waiting for their confirm: failed at once when the channel closes. */
  private readonly unconfirmed = new Set<(e: Error) => void>();
  /** Deliveries are tied to the channel that delivered them: a reconnection makes older ones void. */
  private generation = 0;

  constructor(private readonly options: HubLinkOptions) {
    super();
  }

  start(): void {
    this.stopping = false;
    void this.connect();
  }

  private log(level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void {
    this.options.log?.(level, message, detail);
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private tlsOptions(): Record<string, unknown> {
    const t = this.options.tls;
    const url = new URL(this.options.url);
    const creds = t.pfxFile
      ? { pfx: readFileSync(t.pfxFile), ...(t.passphraseFile ? { passphrase: readFileSync(t.passphraseFile, 'utf8').trim() } : {}) }
      : { cert: readFileSync(t.certFile!), key: readFileSync(t.keyFile!) };
    return {
      ...creds,
      ca: [readFileSync(t.caFile)],
      // The broker's certificate must chain to the CA and name the host we asked for.
      rejectUnauthorized: true,
      servername: this.options.servername ?? url.hostname,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      // amqplib leaves Nagle's algorithm on: +40 ms per hop on loopback without this.
      noDelay: true,
      credentials: amqp.credentials.external(),
      clientProperties: { connection_name: `permanence ${this.options.clientId}` },
    };
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    this.setState('connecting');
    const url = new URL(this.options.url);
    try {
      const model = await amqp.connect(
        { protocol: 'amqps', hostname: url.hostname, port: Number(url.port || 5671), vhost: this.options.vhost, heartbeat: this.options.heartbeatSeconds ?? 30 },
        this.tlsOptions(),
      );
      this.model = model;
      model.on('error', (e: Error) => {
        this.lastError = e.message;
        this.log('warn', 'Hub Santé : erreur de connexion', { error: e.message });
      });
      model.on('close', () => this.lost('connexion fermée'));
      const id = this.options.clientId;
      const pub = await model.createConfirmChannel();
      pub.on('error', (e: Error) => {
        this.lastError = e.message;
        this.log('warn', 'Hub Santé : canal de publication fermé par le Hub', { error: e.message });
      });
      pub.on('close', () => {
        if (this.pub === pub) this.pub = null;
        this.failUnconfirmed();
        // A refused publish (403) kills the channel only: open another one.
        if (!this.stopping && this.model === model) void this.reopenPublisher(model);
      });
      await pub.checkExchange('hubsante');
      const sub = await model.createChannel();
      sub.on('error', (e: Error) => {
        this.lastError = e.message;
        this.log('warn', 'Hub Santé : canal de réception fermé', { error: e.message });
      });
      await sub.prefetch(this.options.prefetch ?? 250);
      const generation = ++this.generation;
      const acks = new ChannelAcks(sub);
      for (const q of ['message', 'ack', 'info'] as const) {
        await sub.checkQueue(`${id}.${q}`);
        await sub.consume(`${id}.${q}`, (msg) => {
          if (!msg || generation !== this.generation) return;
          acks.delivered(msg);
          this.ackers.set(msg, acks);
          mark(`amqp-delivered-${q}`);
          this.options.onDelivery(q, msg);
        }, { noAck: false });
      }
      this.pub = pub;
      this.sub = sub;
      this.attempt = 0;
      this.lastError = null;
      this.connectedAt = Date.now();
      this.setState('connected');
      this.log('info', 'Hub Santé : connecté', { clientId: id, vhost: this.options.vhost });
    } catch (error) {
      this.lastError = (error as Error).message;
      this.log('warn', 'Hub Santé : connexion impossible', { error: this.lastError });
      const m = this.model;
      this.model = null;
      this.pub = null;
      this.sub = null;
      await m?.close().catch(() => {});
      this.schedule();
    }
  }

  private async reopenPublisher(model: ChannelModel): Promise<void> {
    try {
      const pub = await model.createConfirmChannel();
      pub.on('error', (e: Error) => {
        this.lastError = e.message;
      });
      pub.on('close', () => {
        if (this.pub === pub) this.pub = null;
        this.failUnconfirmed();
        if (!this.stopping && this.model === model) void this.reopenPublisher(model);
      });
      this.pub = pub;
    } catch {
      // The connection itself is going: its close handler reconnects.
    }
  }

  private failUnconfirmed(): void {
    const error = new Error(this.lastError ?? 'canal fermé avant la confirmation');
    for (const reject of this.unconfirmed) reject(error);
    this.unconfirmed.clear();
  }

  private lost(reason: string): void {
    if (this.model === null && this.state !== 'connected') return;
    this.model = null;
    this.pub = null;
    this.sub = null;
    this.generation++;
    this.connectedAt = null;
    if (this.stopping) {
      this.setState('stopped');
      return;
    }
    this.lastError ??= reason;
    this.log('warn', 'Hub Santé : connexion perdue, reconnexion', { reason });
    this.setState('disconnected');
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping || this.timer) return;
    const { min, max } = this.options.backoffMs ?? { min: 500, max: 30_000 };
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 10));
    this.attempt++;
    this.setState('disconnected');
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  get connected(): boolean {
    return this.state === 'connected' && this.pub !== null;
  }

  /** Publish on `hubsante` with our id as routing key; resolves once the broker confirmed it. */
  publish(body: Buffer, messageId: string): Promise<void> {
    mark('amqp-publish');
    const pub = this.pub;
    if (!pub || this.state !== 'connected') return Promise.reject(new NotConnectedError());
    return new Promise((resolve, reject) => {
      this.unconfirmed.add(reject);
      pub.publish('hubsante', this.options.clientId, body, { contentType: 'application/json', persistent: true, messageId }, (error) => {
        this.unconfirmed.delete(reject);
        if (error) reject(new Error(this.lastError ?? 'message refusé par le Hub'));
        else resolve();
      });
    });
  }

  /** Each delivery's channel (acknowledged on the channel it came from, never on a newer one). */
  private readonly ackers = new WeakMap<ConsumeMessage, ChannelAcks>();

  /**
   * Acknowledge a delivery (after commit). A delivery of a closed channel will come again: the
   * broker redelivers it and the inbox answers it again without applying it twice.
   */
  ack(msg: ConsumeMessage): void {
    this.ackers.get(msg)?.settle(msg, true);
  }

  /** Give a delivery back (something failed before commit): it comes again. */
  nack(msg: ConsumeMessage): void {
    this.ackers.get(msg)?.settle(msg, false);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { model, sub, pub } = this;
    this.model = null;
    // Channels first: closing the connection at once could overtake acks still queued on a channel.
    await sub?.close().catch(() => {});
    await pub?.close().catch(() => {});
    await model?.close().catch(() => {});
    this.setState('stopped');
  }
}

/** What acknowledging needs of an amqplib channel. */
interface AckChannel {
  ack(msg: ConsumeMessage, allUpTo?: boolean): void;
  nack(msg: ConsumeMessage, allUpTo?: boolean, requeue?: boolean): void;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * The acknowledgements of one channel, sent together: deliveries finish out of order (different
 * cases in parallel), so one 'multiple' ack goes up to the last delivery whose predecessors are all
 * settled, once per turn of the event loop, instead of one frame per message. A nack is sent at
 * once, for its delivery alone.
 */
export class ChannelAcks {
  private readonly order: number[] = [];
  private readonly settled = new Map<number, boolean>();
  private flushing = false;
  private closed = false;

  constructor(private readonly channel: AckChannel) {
    channel.on('close', () => {
      this.closed = true;
    });
  }

  delivered(msg: ConsumeMessage): void {
    this.order.push(msg.fields.deliveryTag);
  }

  settle(msg: ConsumeMessage, ack: boolean): void {
    if (this.closed) return;
    if (!ack) {
      try {
        this.channel.nack(msg, false, true);
      } catch {
        // Channel gone: redelivered anyway.
      }
    }
    this.settled.set(msg.fields.deliveryTag, ack);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    let n = 0;
    let last: number | null = null;
    for (const tag of this.order) {
      const ack = this.settled.get(tag);
      if (ack === undefined) break;
      this.settled.delete(tag);
      n++;
      // A nacked delivery is settled already (its nack went first on this channel): a 'multiple'
      // ack past it leaves it alone.
      if (ack) last = tag;
    }
    this.order.splice(0, n);
    if (last !== null) this.ackUpTo(last);
  }

  private ackUpTo(tag: number): void {
    if (this.closed) return;
    try {
      this.channel.ack({ fields: { deliveryTag: tag } } as ConsumeMessage, true);
    } catch {
      // Channel gone: what it delivered comes again, answered once by the inbox.
    }
  }
}
