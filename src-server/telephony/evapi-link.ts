/**
 * The central server's link to Kamailio's evapi socket (TCP, netstring-framed JSON): Kamailio tells
 * of parked calls, abandons, answers and agents who let a call ring out; the server answers with
 * which agent takes a call. Every event is validated; a malformed one is logged and dropped. The
 * link reconnects by itself (Kamailio restarted, or not started yet): the parked calls outlive it.
 */
import net from 'node:net';
import { z } from 'zod';

const Id = z.string().min(1).max(256);
const TransactionRef = { tindex: z.number().int().nonnegative(), tlabel: z.number().int().nonnegative() };

export const LineEventSchema = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('queued'), line: Id, callid: Id, from: z.string().max(64), hubCase: z.string().max(128), announceMs: z.number().int(), ...TransactionRef }),
  z.strictObject({ event: z.literal('abandon'), callid: Id }),
  /** callerMedia: the caller's SDP media line ("m=audio 40000 RTP/AVP 8"): its port names the patient's side of the recording. */
  z.strictObject({ event: z.literal('answered'), callid: Id, agent: z.string().max(64), callerMedia: z.string().max(200) }),
  z.strictObject({ event: z.literal('recording-failed'), callid: Id }),
  /**
   * A call outside the queue that rtpengine bridges (a caller's leg after a transfer, a callback to
   * a patient, a desk phone) was answered and is recorded: the patient's (plain RTP) side, the
   * center's user on the other, and the patient's media line (the recording's left channel).
   */
  z.strictObject({ event: z.literal('recording'), callid: Id, patient: z.string().max(64), agent: z.string().max(64), callerMedia: z.string().max(200) }),
  /** The agents whose phones rang (all of them on a ring-all line) and the call's final reply code. */
  z.strictObject({ event: z.literal('agent-failed'), callid: Id, agents: z.array(z.string().max(64)).max(200), code: z.number().int(), ...TransactionRef }),
  z.strictObject({ event: z.literal('ended'), callid: Id, by: z.string().max(64) }),
  z.strictObject({ event: z.literal('gone'), ...TransactionRef }),
  /** A message is played to the caller (the line is closed), the transaction parked again. */
  z.strictObject({ event: z.literal('playing'), callid: Id, announceMs: z.number().int(), ...TransactionRef }),
]);
export type LineEvent = z.infer<typeof LineEventSchema>;

export type LineCommand =
  | { action: 'line'; number: string; announcement: string; record: boolean }
  /**
   * The agents' phones ring at once (one agent, or every free one on a ring-all line); `callid`: if
   * the transaction is no longer parked because the call was answered meanwhile, Kamailio says so (late "answered").
   */
  | { action: 'connect'; tindex: number; tlabel: number; agents: string[]; ringMs: number; callid: string }
  | { action: 'reject'; tindex: number; tlabel: number; code: number }
  | { action: 'play'; tindex: number; tlabel: number; announcement: string }
  /** A provisional response again to the caller's operator, so that a long wait is not cut (the call stays parked). */
  | { action: 'progress'; tindex: number; tlabel: number };

export interface EvapiLinkOptions {
  host: string;
  port: number;
  onEvent(event: LineEvent): void;
  /** Called at every (re)connection: declare the lines, re-offer what waits. */
  onConnected(): void;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void;
}

/** Splits a byte stream into netstrings ("<len>:<payload>,"); throws on a broken frame. */
export class NetstringReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) {
        if (this.buffer.length > 12) throw new Error('netstring: no length prefix');
        return out;
      }
      const header = this.buffer.subarray(0, colon).toString('latin1');
      if (!/^\d{1,9}$/.test(header)) throw new Error(`netstring: bad length ${JSON.stringify(header.slice(0, 12))}`);
      const length = Number(header);
      const end = colon + 1 + length;
      if (this.buffer.length < end + 1) return out;
      if (this.buffer[end] !== 0x2c) throw new Error('netstring: missing trailing comma');
      out.push(this.buffer.subarray(colon + 1, end).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 1);
    }
  }
}

export function netstring(payload: string): string {
  return `${Buffer.byteLength(payload)}:${payload},`;
}

export class EvapiLink {
  private socket: net.Socket | null = null;
  private connected = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private delayMs = 250;

  constructor(private readonly options: EvapiLinkOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** False when Kamailio is out of reach: the caller keeps the decision and retries at reconnection. */
  send(command: LineCommand): boolean {
    if (!this.connected || !this.socket) return false;
    this.socket.write(netstring(JSON.stringify(command)));
    return true;
  }

  private open(): void {
    const socket = net.connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    const reader = new NetstringReader();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5_000);
    socket.on('connect', () => {
      this.connected = true;
      this.delayMs = 250;
      this.options.log('info', 'evapi connected', { host: this.options.host, port: this.options.port });
      this.options.onConnected();
    });
    socket.on('data', (chunk) => {
      let frames: string[];
      try {
        frames = reader.push(chunk);
      } catch (error) {
        this.options.log('error', 'evapi stream broken, reconnecting', { error: (error as Error).message });
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        let parsed: LineEvent;
        try {
          parsed = LineEventSchema.parse(JSON.parse(frame));
        } catch (error) {
          this.options.log('warn', 'evapi event refused', { frame: frame.slice(0, 300), error: (error as Error).message.slice(0, 300) });
          continue;
        }
        this.options.onEvent(parsed);
      }
    });
    socket.on('error', () => {
      // 'close' follows and schedules the reconnection.
    });
    socket.on('close', () => {
      if (this.connected) this.options.log('warn', 'evapi connection lost');
      this.connected = false;
      this.socket = null;
      if (this.stopped) return;
      this.retry = setTimeout(() => this.open(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 5_000);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
    this.socket = null;
    this.connected = false;
  }
}
