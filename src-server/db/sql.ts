/**
 * One small interface over the two PostgreSQL engines the server runs on: a real server through
 * node-postgres (production, and the tests against 127.0.0.1:5432), and PGlite (PostgreSQL compiled
 * to WebAssembly, in-process) as the embedded default of a single site. Same SQL on both.
 */
export interface Queryable {
  /**
   * `name`: a statement run often (the writer's); on PostgreSQL it is prepared once per
   * connection, so its plan is not made again on every call.
   */
  query<R = Record<string, unknown>>(text: string, params?: unknown[], name?: string): Promise<{ rows: R[] }>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /**
   * The same database, for records whose commit need not wait for the disk: the access audit and
   * the login counters (synchronous_commit off on PostgreSQL). A crash of PostgreSQL itself may
   * lose the last fraction of a second of them; cases, events and sessions never go this way.
   */
  readonly relaxed: Queryable;
  /** Run `fn` in one transaction on one connection; rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: run `fn` while holding this advisory lock (several server instances: one at a
   * time). PGlite is in-process, one server: nothing to take.
   */
  exclusive?<T>(lock: readonly [number, number], fn: () => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: a connection of its own, outside the pools, for what lives with a session
   * (a center's advisory lock, LISTEN). Its loss is an 'error' or 'end' event.
   */
  dedicated?(settings?: Record<string, string>): Promise<DedicatedConnection>;
  close(): Promise<void>;
}

export interface DedicatedConnection {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  on(event: 'notification', listener: (n: { channel: string; payload?: string | undefined }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'end', listener: () => void): void;
  end(): Promise<void>;
}

export async function openPostgres(connectionString: string): Promise<SqlDatabase> {
  const pg = await import('pg');
  // BIGINT columns (sequence numbers, times in ms) fit in a JS number: parse them as numbers.
  pg.default.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.default.Pool({ connectionString, max: 8 });
  // An idle connection that PostgreSQL closes (a restart, a failover, an administrator) is an
  // 'error' on the pool: without a listener Node would stop the whole server. The pool drops that
  // connection and opens another for the next query; callers see errors on their own queries.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL: idle connection lost (${error.message})`));
  await pool.query('SELECT 1');
  const relaxedPool = new pg.default.Pool({ connectionString, max: 4, options: '-c synchronous_commit=off' });
  relaxedPool.on('error', (error) => process.emitWarning(`PostgreSQL: idle connection lost (${error.message})`));
  const on = (p: InstanceType<typeof pg.default.Pool>): Queryable['query'] => async (text, params, name) =>
    p.query(name ? { name, text, values: params as unknown[] } : { text, values: params as unknown[] }) as never;
  return {
    engine: 'postgres',
    query: on(pool),
    relaxed: {
      query: on(relaxedPool),
      exec: async (sql) => {
        await relaxedPool.query(sql);
      },
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async (text, params) => client.query(text, params as unknown[]) as never,
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async exclusive(lock, fn) {
      const client = new pg.default.Client({ connectionString });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1, $2)', [...lock]);
        return await fn();
      } finally {
        await client.end().catch(() => {});
      }
    },
    async dedicated(settings = {}) {
      const options = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
      const client = new pg.default.Client({ connectionString, ...(options ? { options } : {}), connectionTimeoutMillis: 5_000 });
      await client.connect();
      return client as unknown as DedicatedConnection;
    },
    close: async () => {
      await Promise.all([pool.end(), relaxedPool.end()]);
    },
  };
}

export async function openPglite(dataDir: string | undefined): Promise<SqlDatabase> {
  const { PGlite, types } = await import('@electric-sql/pglite');
  const db = new PGlite(dataDir, { parsers: { [types.INT8]: (v: string) => Number(v) } });
  await db.waitReady;
  const query: Queryable['query'] = async (text, params) => db.query(text, params) as never;
  const exec = async (sql: string) => {
    await db.exec(sql);
  };
  return {
    engine: 'pglite',
    query,
    exec,
    // In-process: one engine, one way of committing.
    relaxed: { query, exec },
    transaction: (fn) =>
      db.transaction(async (tx) =>
        fn({
          query: async (text, params) => tx.query(text, params) as never,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    close: () => db.close(),
  };
}

/**
 * The database is switching (a failover: the old primary gone, the new one read-only for a moment,
 * connections cut by the proxy) or restarting: the request can be made again in a moment. Such an
 * error is never a verdict on what the client sent.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  const code = e.code ?? '';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '25006', '40001', '40P01'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(e.message ?? '');
}
