/**
 * The central server on the database cluster (scripts/ha-cluster.sh: two PostgreSQL under Patroni,
 * a synchronous standby, HAProxy on 5440): the primary is lost in the middle of a push burst from
 * ten workstations; the standby is promoted, the server reconnects through HAProxy, every
 * workstation converges, nothing that was acknowledged is lost, and the old primary is checked
 * streaming again as the synchronous standby (in PostgreSQL's own view, not Patroni's list).
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src-server/server.js';
import { closeAfterEach } from '../fixtures/cleanups.js';
import { burstAcrossFault, freshDatabase, openWorkstation, serverCases, TENANT, TOKEN_SECRET, waitFor, type Workstation } from '../fixtures/sync-harness.js';
import { HA_RUN as RUN, isPrimary, NODES, pidIn, primary, settled, streamsAsSyncStandby, type Node } from '../fixtures/ha-cluster.js';

const { cleanups, track } = closeAfterEach();
async function primaryLostInBurst(fault: (victim: Node) => Promise<() => void>): Promise<{ failoverMs: number; victim: Node }> {
  await settled();
  const { db, drop } = await freshDatabase('postgres');
  cleanups.push(async () => {
    await db.close();
    await drop().catch(() => {});
  });
  const server = track(await startServer({ db, tokenSecret: TOKEN_SECRET, logLevel: 'silent', heartbeatMs: 1_000, instance: { name: 'ha' } }));
  const logins = ['arm1', 'arm2', 'arm3', 'dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6', 'dr7'];
  const stations: Workstation[] = [];
  for (const login of logins) stations.push(track(await openWorkstation(server.url, { login })));
  const victim = await primary();
  let faultAt = 0;
  let resume: (() => void) | null = null;
  const rounds = 10;
  const created = await burstAcrossFault(stations, rounds, 3, async () => {
    faultAt = Date.now();
    resume = await fault(victim);
  }, 50);
  // The first write acknowledged by the new primary.
  await waitFor('the other node promoted', async () => (await primary()) !== victim, 60_000);
  const head = async () => Number((await db.query<{ s: number }>('SELECT last_seq AS s FROM tenants WHERE id = $1', [TENANT])).rows[0]!.s);
  await waitFor(
    'convergence',
    async () => {
      const h = await head().catch(() => -1);
      return stations.every((w) => w.core.store.countPendingMutations() === 0 && w.core.store.syncState().cursorSeq === h);
    },
    90_000,
  );
  const failoverMs = Date.now() - faultAt;
  (resume as (() => void) | null)?.();
  const truth = await serverCases(db);
  expect(created).toHaveLength(logins.length * rounds);
  for (const id of created) expect(truth.get(id)?.notes, id).toHaveLength(1);
  const { rows } = await db.query<{ n: number; hi: number; ids: number }>('SELECT count(*)::int AS n, max(seq) AS hi, count(DISTINCT id)::int AS ids FROM events WHERE tenant = $1', [TENANT]);
  expect(rows[0]).toEqual({ n: created.length * 2, hi: created.length * 2, ids: created.length * 2 });
  for (const w of stations) for (const id of created) expect(w.core.store.getCase(id)?.notes).toHaveLength(1);
  // The old primary back, streaming as the synchronous standby (Patroni's list alone is not trusted).
  await waitFor(`${victim} streaming again as the synchronous standby`, () => streamsAsSyncStandby(victim), 90_000);
  return { failoverMs, victim };
}

describe('the server on a Patroni cluster', () => {
  it('the primary PostgreSQL killed (SIGKILL) during a push burst: promoted standby, nothing acknowledged lost, old primary back as synchronous standby', async () => {
    const r = await primaryLostInBurst(async (victim) => {
      process.kill(pidIn(`${RUN}/data/${victim}/postmaster.pid`), 'SIGKILL');
      return () => {};
    });
    expect(r.failoverMs).toBeGreaterThan(0);
  });

  it('the primary’s Patroni frozen (SIGSTOP, a host that stalls): promoted standby, nothing acknowledged lost, old primary back as synchronous standby', async () => {
    const r = await primaryLostInBurst(async (victim) => {
      const pid = pidIn(`${RUN}/run/patroni-${victim}.pid`);
      process.kill(pid, 'SIGSTOP');
      // Resumed once the other node is primary (Patroni then demotes it and it rejoins).
      const resumeWhenPromoted = setInterval(() => {
        void (async () => {
          const other = (Object.keys(NODES) as Node[]).find((n) => n !== victim)!;
          if (await isPrimary(other)) {
            clearInterval(resumeWhenPromoted);
            process.kill(pid, 'SIGCONT');
          }
        })();
      }, 200);
      cleanups.push(async () => {
        clearInterval(resumeWhenPromoted);
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone
        }
      });
      return () => clearInterval(resumeWhenPromoted);
    });
    expect(r.failoverMs).toBeGreaterThan(0);
  });
});
