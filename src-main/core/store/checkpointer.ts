/**
 * Background WAL checkpoints for the workstation cache.
 *
 * SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, on the
 * thread that commits: every ~90 received events the core stalled ~4 ms copying pages back to
 * the database file and fsyncing it. Here a worker thread with its own connection checkpoints
 * (PASSIVE: never blocks a writer or a reader) once a second, so commits on the core's thread only
 * append to the WAL. If the worker is slow or gone, the connection's own automatic checkpoint
 * stays as a backstop at a higher threshold, so the WAL stays bounded either way.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { keyPragmas, type Db } from './database.js';

/** Pages (4 KiB) after which the committing connection checkpoints by itself anyway. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 8_000;
/** WAL frames after which the background checkpoints come every 100 ms instead of every interval. */
const BUSY_WAL_FRAMES = 1_000;

export interface CheckpointerOptions {
  /** Milliseconds between background checkpoints. */
  intervalMs?: number;
  /** The cache key when the cache is encrypted (the worker's connection must be keyed too). */
  key?: Buffer;
}

export interface CheckpointReport {
  /** Frames in the WAL and frames copied back, as SQLite reports them. */
  walFrames: number;
  checkpointed: number;
}

// The worker is plain CommonJS evaluated from a string: it needs no file of its own next to
// whichever bundle (tsx, electron-vite) loaded this module, and loads the same better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
if (workerData.keyPragmas) for (const pragma of workerData.keyPragmas) db.pragma(pragma);
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
let timer = null;
const run = () => {
  clearTimeout(timer);
  let busy = false;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    busy = r.log >= workerData.busyFrames;
    parentPort.postMessage({ type: 'checkpoint', walFrames: r.log, checkpointed: r.checkpointed });
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String(error && error.message || error) });
  }
  timer = setTimeout(run, busy ? workerData.busyIntervalMs : workerData.intervalMs);
};
timer = setTimeout(run, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'now') run();
  if (m === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  }
});
`;

export class BackgroundCheckpointer {
  private worker: Worker | null = null;
  private readonly starting: ReturnType<typeof setImmediate>;
  private readonly listeners = new Set<(r: CheckpointReport) => void>();
  private stopping: Promise<void> | null = null;
  lastError: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: CheckpointerOptions = {},
  ) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
    // The thread starts right after the open returns: opening the cache does not wait for it.
    this.starting = setImmediate(() => this.start());
    this.starting.unref();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers');
    const workerData = {
      path: this.db.name,
      driver,
      intervalMs: this.options.intervalMs ?? 1_000,
      // A WAL that grew by this much in one interval (an initial sync writes ~7,500 pages a second)
      // is checkpointed again sooner, so that the committing thread never reaches the backstop
      // (measured: its commits took 2.3 × as long when they checkpointed themselves).
      busyFrames: BUSY_WAL_FRAMES,
      busyIntervalMs: Math.min(this.options.intervalMs ?? 1_000, 100),
      keyPragmas: this.options.key ? keyPragmas(this.options.key) : null,
    };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    this.worker = worker;
    // The worker must never keep the process alive on its own.
    worker.unref();
    worker.on('message', (m: { type: string; walFrames?: number; checkpointed?: number; message?: string }) => {
      if (m.type === 'checkpoint') for (const l of this.listeners) l({ walFrames: m.walFrames!, checkpointed: m.checkpointed! });
      if (m.type === 'error') this.lastError = m.message ?? 'checkpoint failed';
    });
    worker.on('error', (error) => {
      // The backstop threshold keeps the WAL bounded without the worker.
      this.lastError = error.message;
    });
    return worker;
  }

  /** Ask for a checkpoint now (tests); resolves with its report. */
  checkpointNow(): Promise<CheckpointReport> {
    return new Promise((resolve) => {
      const once = (r: CheckpointReport) => {
        this.listeners.delete(once);
        resolve(r);
      };
      this.listeners.add(once);
      this.start().postMessage('now');
    });
  }

  onCheckpoint(listener: (r: CheckpointReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the worker's connection (before the main one closes, so that it is the last). */
  stop(): Promise<void> {
    clearImmediate(this.starting);
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      worker.once('exit', done);
      worker.on('message', (m: { type: string }) => {
        if (m.type === 'stopped') void worker.terminate().then(done, done);
      });
      worker.postMessage('stop');
      // A worker that does not answer is ended anyway.
      setTimeout(() => void worker.terminate().then(done, done), 2_000).unref();
    });
    return this.stopping;
  }
}
