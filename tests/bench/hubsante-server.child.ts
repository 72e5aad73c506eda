/**
 * A regulation server of the Hub Santé benchmark in a process of its own (as in production: another
 * center, another machine): a fresh PostgreSQL database and one Hub link.
 *   hubsante-server.child.ts <tenant> <our client id> <partner id> [prefetch]
 * Prints "ready <database url>" once connected to the Hub; stops and drops its database on SIGTERM.
 */
import { startServer } from '../../src-server/server.js';
import { freshDatabase, TOKEN_SECRET, waitFor } from '../fixtures/sync-harness.js';
import { hubConfig } from '../fixtures/hub.js';

const [tenant, clientId, peer, prefetch] = process.argv.slice(2) as [string, string, string, string | undefined];
const { db, url, drop } = await freshDatabase('postgres');
const server = await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', hubsante: [hubConfig(tenant, clientId, peer, prefetch ? { prefetch: Number(prefetch) } : {})] });
await waitFor('link up', () => server.hub(tenant)!.link.connected, 30_000);
process.stdout.write(`ready ${url}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close();
    await db.close();
    await drop();
    process.exit(0);
  })();
});
