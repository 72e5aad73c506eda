/**
 * Which centers this server instance holds. Several instances may serve one database; a center's
 * writer (and its once-only duties: the Hub Santé link, the lines' call distributor) runs on the
 * instance that holds the center's PostgreSQL advisory lock, taken on a connection of its own.
 *
 * - The lock lives as long as that connection: an instance killed (kill -9, a crash, its host
 *   gone) loses its TCP connection and PostgreSQL frees the lock at once; the others try every
 *   `retryMs` and one of them takes the center over.
 * - A frozen instance (SIGSTOP, a host that stalls) keeps its TCP connection: the connection is
 *   opened with `idle_session_timeout`, and the holder runs a query every `keepAliveMs`; frozen
 *   past `leaseMs`, PostgreSQL ends its session, which frees the lock.
 * - Taking a center over writes a new fencing token on the center's row; every commit of the
 *   writer checks it together with the head (tenant-writer.ts). An instance that wakes up after
 *   losing its lock writes nothing: its compare-and-set fails, and it steps down.
 *
 * PGlite (the embedded single-site engine) is in-process: one server, which holds every center.
 */
import { randomUUID } from 'node:crypto';
import type { DedicatedConnection, SqlDatabase } from './sql.js';

/** Advisory lock namespace of the centers (the second key is hashtext(center id)). */
export const CENTER_LOCK_CLASS = 7411;

/**
 * SQL that is true while some session holds the center named by the text parameter `param`'s lock
 * (as pg_locks shows a two-key advisory lock: classid, objid as an unsigned oid, objsubid 2).
 */
export const centerLockHeldSql = (param: string) =>
  `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ${CENTER_LOCK_CLASS} AND objsubid = 2 AND granted AND objid = ((hashtext(${param})::bigint + 4294967296) % 4294967296)::oid)`;

export interface TakeOver {
  tenant: string;
  token: string;
  /** Why the center was free: first start, the previous holder gone, or this instance again. */
  cause: string;
  /** The instance that held it before, if any. */
  previous: string | null;
  /** Since this instance last saw the center held by another until it took it (≤ the outage seen from here). */
  vacantMs: number | null;
}

export interface CenterLeasesOptions {
  db: SqlDatabase;
  /** This instance's name (logs, /api/ready, the center's row). */
  instance: string;
  /** Where the other instances forward a workstation's push to this one. */
  url: () => string;
  keepAliveMs?: number;
  /** A session idle this long (a frozen instance) is ended by PostgreSQL, and its locks freed. */
  leaseMs?: number;
  /** How often a center held elsewhere (or a lost connection) is tried again. */
  retryMs?: number;
  now?: () => number;
  /** Called once the center is this instance's (the writer is opened, the duties started). */
  gained: (t: TakeOver) => Promise<void>;
  /** Called when the lock is lost (connection ended) or given up (close): stop writing at once. */
  lost: (tenant: string, cause: string) => Promise<void> | void;
  log: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
}

export class CenterLeases {
  private readonly held = new Set<string>();
  private connection: DedicatedConnection | null = null;
  private connecting = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private busy = false;
  /** When each center was last seen held by another instance. */
  private readonly seenHeld = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: CenterLeasesOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The centers this instance holds now. */
  centers(): string[] {
    return [...this.held].sort();
  }

  /** Take what is free now, then keep trying and keep the connection alive. */
  async start(): Promise<void> {
    await this.round();
    const every = Math.min(this.o.keepAliveMs ?? 1_000, this.o.retryMs ?? 500);
    this.timer = setInterval(() => void this.round(), every);
    this.timer.unref?.();
  }

  /** Stop the duties of every center held, then free the locks (another instance takes them at once). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const tenant of [...this.held]) await this.lose(tenant, 'arrêt de l’instance');
    await this.connection?.end().catch(() => {});
    this.connection = null;
  }

  private async round(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
      // A take-over still starting (its duties use the pools): the session must not look idle.
      void this.connection?.query('SELECT 1').catch(() => {});
      return;
    }
    this.busy = true;
    try {
      if (!this.o.db.dedicated) {
        await this.takeAll();
        return;
      }
      const connection = await this.connect();
      if (!connection) return;
      // The keep-alive and the list of centers in one query (a center created since is tried too).
      const { rows } = await connection.query<{ id: string; writer_instance: string | null }>('SELECT id, writer_instance FROM tenants ORDER BY id');
      for (const row of rows) {
        if (this.held.has(row.id) || this.closed) continue;
        const { rows: got } = await connection.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [CENTER_LOCK_CLASS, row.id]);
        if (!got[0]?.ok) {
          this.seenHeld.set(row.id, this.now());
          continue;
        }
        await this.take(connection, row.id, row.writer_instance);
      }
    } catch (error) {
      // The connection is gone (its 'end' handler already said so) or the database is away: next round.
      this.o.log('warn', 'verrous des centres : base injoignable, nouvel essai', { error: (error as Error).message });
    } finally {
      this.busy = false;
    }
  }

  private async take(q: { query: DedicatedConnection['query'] }, tenant: string, previous: string | null): Promise<void> {
    const token = randomUUID();
    const since = this.now();
    await q.query('UPDATE tenants SET writer_token = $2, writer_instance = $3, writer_url = $4, writer_since = $5 WHERE id = $1', [
      tenant,
      token,
      this.o.instance,
      this.o.url(),
      since,
    ]);
    const seen = this.seenHeld.get(tenant);
    this.seenHeld.delete(tenant);
    this.held.add(tenant);
    const cause = previous === null ? 'premier démarrage' : previous === this.o.instance ? 'reprise par la même instance' : `ancien détenteur « ${previous} » perdu`;
    try {
      await this.o.gained({ tenant, token, cause, previous, vacantMs: seen === undefined ? null : since - seen });
    } catch (error) {
      // Could not start as the holder (the database away in the middle): give the center back.
      this.o.log('error', 'reprise du centre impossible : verrou rendu', { tenant, error: (error as Error).message });
      await this.lose(tenant, 'reprise échouée');
      await this.connection?.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CENTER_LOCK_CLASS, tenant]).catch(() => {});
    }
  }

  private async takeAll(): Promise<void> {
    const { rows } = await this.o.db.query<{ id: string; writer_instance: string | null }>('SELECT id, writer_instance FROM tenants ORDER BY id');
    for (const row of rows) if (!this.held.has(row.id)) await this.take(this.o.db, row.id, row.writer_instance);
  }

  private async connect(): Promise<DedicatedConnection | null> {
    if (this.connection) return this.connection;
    if (this.connecting) return null;
    this.connecting = true;
    try {
      const leaseMs = this.o.leaseMs ?? 10_000;
      const connection = await this.o.db.dedicated!({
        idle_session_timeout: `${leaseMs}ms`,
        application_name: `permanence-leases-${this.o.instance}`.slice(0, 63),
      });
      const gone = (why: string) => {
        if (this.connection !== connection) return;
        this.connection = null;
        for (const tenant of [...this.held]) void this.lose(tenant, `connexion du verrou perdue (${why})`);
      };
      connection.on('error', (error) => gone(error.message));
      connection.on('end', () => gone('fermée'));
      this.connection = connection;
      return connection;
    } catch (error) {
      this.o.log('warn', 'verrous des centres : connexion impossible', { error: (error as Error).message });
      return null;
    } finally {
      this.connecting = false;
    }
  }

  private async lose(tenant: string, cause: string): Promise<void> {
    if (!this.held.delete(tenant)) return;
    this.o.log('warn', 'centre rendu : cette instance n’écrit plus pour lui', { tenant, cause });
    await this.o.lost(tenant, cause);
  }
}
