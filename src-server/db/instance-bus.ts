/**
 * What one server instance tells the others through PostgreSQL (LISTEN/NOTIFY), so that any
 * instance serves any workstation:
 * - `permanence_events`: "<center> <head>", sent by the writer's commit itself (transactional, in
 *   commit order). An instance that does not hold the center reads the events after the last one
 *   it fanned out, by sequence, and sends them to its sockets: the sequence is the cursor, so a
 *   notification lost (a reconnection) costs a read, never an event; workstations also check the
 *   head on every heartbeat, as with one instance.
 * - `permanence_frames`: the other live frames (agent states, the call log, the lines, the
 *   effectors' requests…), as JSON; one larger than a NOTIFY payload goes through the
 *   `instance_frames` table and the notification names its row.
 * Why NOTIFY rather than the Hub's RabbitMQ: it is the database every instance already depends
 * on, the event notification commits with the events, and nothing more has to stay up.
 */
import { z } from 'zod';
import type { DedicatedConnection, SqlDatabase } from './sql.js';

const FrameNoticeSchema = z.object({
  o: z.string(),
  t: z.string(),
  f: z.string().optional(),
  id: z.number().int().positive().optional(),
  /** Effector doctors whose pages must be sent again (their requests changed on the sending instance). */
  e: z.object({ effectorIds: z.array(z.string().max(20)).max(1000), requestId: z.string().max(64).optional() }).optional(),
});
export type EffectorChange = NonNullable<z.infer<typeof FrameNoticeSchema>['e']>;

/** NOTIFY payloads are limited to 8000 bytes; beyond this, the frame goes through the table. */
const INLINE_FRAME_BYTES = 7_000;
const FRAMES_KEPT_MS = 60_000;

export interface InstanceBusOptions {
  db: SqlDatabase;
  instance: string;
  now: () => number;
  /** A center's head moved on another instance (the events up to `head` are committed). */
  onHead: (tenant: string, head: number) => void;
  /** A frame another instance sent to its own sockets of this center. */
  onFrame: (tenant: string, frameJson: string) => void;
  /** Another instance changed these effector doctors' requests. */
  onEffectors: (tenant: string, change: EffectorChange) => void;
  /** The bus (re)connected: notifications may have been missed meanwhile. */
  onReconnected: () => void;
  log: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
  retryMs?: number;
}

export class InstanceBus {
  private connection: DedicatedConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private connecting = false;
  private lastPurge = 0;

  constructor(private readonly o: InstanceBusOptions) {}

  /** Nothing to do on PGlite: one in-process server. */
  get active(): boolean {
    return this.o.db.dedicated !== undefined;
  }

  async start(): Promise<void> {
    if (!this.active) return;
    await this.connect();
    this.timer = setInterval(() => {
      if (!this.connection) void this.connect();
    }, this.o.retryMs ?? 500);
    this.timer.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.connection?.end().catch(() => {});
    this.connection = null;
  }

  /** A notice on the frames channel, from this instance (which ignores its own). */
  private async notice(tenant: string, content: Pick<z.infer<typeof FrameNoticeSchema>, 'f' | 'id' | 'e'>): Promise<boolean> {
    const payload = JSON.stringify({ o: this.o.instance, t: tenant, ...content });
    if (Buffer.byteLength(payload) > INLINE_FRAME_BYTES) return false;
    await this.o.db.relaxed.query("SELECT pg_notify('permanence_frames', $1)", [payload]);
    return true;
  }

  /** Send a frame to the other instances' sockets of this center (this instance sends to its own). */
  async publishFrame(tenant: string, frameJson: string): Promise<void> {
    if (!this.active || (await this.notice(tenant, { f: frameJson }))) return;
    const now = this.o.now();
    const { rows } = await this.o.db.relaxed.query<{ id: number }>('INSERT INTO instance_frames (tenant, origin, body, at) VALUES ($1, $2, $3, $4) RETURNING id', [tenant, this.o.instance, frameJson, now]);
    await this.notice(tenant, { id: rows[0]!.id });
    if (now - this.lastPurge > FRAMES_KEPT_MS) {
      this.lastPurge = now;
      await this.o.db.relaxed.query('DELETE FROM instance_frames WHERE at < $1', [now - FRAMES_KEPT_MS]);
    }
  }

  /** Effector doctors' pages to send again wherever they are connected. */
  async publishEffectorChange(tenant: string, change: EffectorChange): Promise<void> {
    if (this.active && !(await this.notice(tenant, { e: change }))) {
      // Too many doctors for one notice: their pages elsewhere get it at their next reconnection.
      this.o.log('warn', 'changement des effecteurs trop long pour les autres instances', { tenant, effectors: change.effectorIds.length });
    }
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    try {
      const connection = await this.o.db.dedicated!({ application_name: `permanence-bus-${this.o.instance}`.slice(0, 63) });
      const gone = (why: string) => {
        if (this.connection !== connection) return;
        this.connection = null;
        this.o.log('warn', 'liaison entre instances perdue : reconnexion', { why });
      };
      connection.on('error', (error) => gone(error.message));
      connection.on('end', () => gone('fermée'));
      connection.on('notification', (n) => this.received(n.channel, n.payload ?? ''));
      await connection.query('LISTEN permanence_events');
      await connection.query('LISTEN permanence_frames');
      this.connection = connection;
      this.o.onReconnected();
    } catch (error) {
      this.o.log('warn', 'liaison entre instances : connexion impossible', { error: (error as Error).message });
    } finally {
      this.connecting = false;
    }
  }

  private received(channel: string, payload: string): void {
    try {
      if (channel === 'permanence_events') {
        const [tenant, head] = payload.split(' ');
        if (tenant && head && /^\d+$/.test(head)) this.o.onHead(tenant, Number(head));
        return;
      }
      const message = FrameNoticeSchema.parse(JSON.parse(payload));
      if (message.o === this.o.instance) return;
      if (message.e) return this.o.onEffectors(message.t, message.e);
      if (typeof message.f === 'string') return this.o.onFrame(message.t, message.f);
      if (typeof message.id === 'number') {
        void this.o.db.relaxed.query<{ body: string }>('SELECT body FROM instance_frames WHERE id = $1', [message.id]).then(
          ({ rows }) => rows[0] && this.o.onFrame(message.t, rows[0].body),
          (error: unknown) => this.o.log('warn', 'trame d’une autre instance illisible', { error: (error as Error).message }),
        );
      }
    } catch (error) {
      this.o.log('warn', 'notification d’une autre instance invalide', { channel, error: (error as Error).message });
    }
  }
}
