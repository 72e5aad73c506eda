// Baseline for the cold open: better-sqlite3 alone on the clear copy, WAL, one read.
import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
const t0 = performance.now();
const db = new Database(join(process.argv[2]!, 'clear-benchmark.sqlite'));
db.pragma('journal_mode = WAL');
db.prepare('SELECT max(version) FROM schema_migrations').get();
console.log(performance.now() - t0);
db.close();
