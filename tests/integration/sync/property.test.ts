/**
 * Property: whatever the interleaving of mutations from several workstations and of their
 * disconnections, once everyone is back online all converge to the server's state; every mutation
 * ever created got exactly one verdict; the log is gapless; each workstation's order is kept.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { startFaultProxy, type FaultProxy } from '../../fixtures/fault-proxy.js';
import { expectConverged, openWorkstation, startTestServer, TENANT, type TestServer, type Workstation } from '../../fixtures/sync-harness.js';

type Op =
  | { kind: 'create'; ws: number }
  | { kind: 'note'; ws: number; pick: number }
  | { kind: 'priority'; ws: number; pick: number; priority: 'P2' | 'P3' }
  | { kind: 'send'; ws: number; pick: number }
  | { kind: 'take'; ws: number; pick: number }
  | { kind: 'offline'; ws: number }
  | { kind: 'online'; ws: number };

const WS = 3;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), ws: fc.nat(WS - 1) }),
  fc.record({ kind: fc.constant('note' as const), ws: fc.nat(WS - 1), pick: fc.nat() }),
  fc.record({ kind: fc.constant('priority' as const), ws: fc.nat(WS - 1), pick: fc.nat(), priority: fc.constantFrom('P2' as const, 'P3' as const) }),
  fc.record({ kind: fc.constant('send' as const), ws: fc.nat(WS - 1), pick: fc.nat() }),
  fc.record({ kind: fc.constant('take' as const), ws: fc.nat(WS - 1), pick: fc.nat() }),
  fc.record({ kind: fc.constant('offline' as const), ws: fc.nat(WS - 1) }),
  fc.record({ kind: fc.constant('online' as const), ws: fc.nat(WS - 1) }),
);

describe('sync property', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer('postgres');
  });
  afterAll(() => ts.close());

  it('random interleavings with disconnects converge, with every mutation applied at most once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
        const proxies: FaultProxy[] = [];
        const stations: Workstation[] = [];
        try {
          // An ARM who screens, and two physicians who also take cases.
          for (const login of ['arm1', 'dr1', 'dr2']) {
            const p = await startFaultProxy(ts.url);
            proxies.push(p);
            stations.push(await openWorkstation(p.url, { login }));
          }
          const known: string[] = [];
          for (const op of ops) {
            const w = stations[op.ws]!;
            const pick = () => (known.length ? known[('pick' in op ? op.pick : 0) % known.length]! : null);
            if (op.kind === 'offline') {
              proxies[op.ws]!.faults.blockHttp = true;
              proxies[op.ws]!.dropSockets();
            } else if (op.kind === 'online') {
              proxies[op.ws]!.faults.blockHttp = false;
            } else if (op.kind === 'create') {
              const r = await w.core.registry.call('case.open', {
                line: '116117',
                fields: { callbackPhone: '0611223344', patient: { lastName: 'Prop', ageYears: 50 }, location: { inseeCode: '21231' }, reasonCode: 'FEVER', priority: 'P3' },
              });
              if (r.ok) known.push((r.value as RegulationCase).id);
            } else {
              const id = pick();
              if (!id || !w.core.store.getCase(id)) continue; // not yet seen on this workstation
              const c = w.core.store.getCase(id)!;
              const command =
                op.kind === 'note'
                  ? { type: 'add_note', text: 'note' }
                  : op.kind === 'priority'
                    ? { type: 'update_fields', baseVersion: c.version, changes: { priority: op.priority } }
                    : op.kind === 'send'
                      ? { type: 'send_to_regulation' }
                      : { type: 'take' };
              await w.core.registry.call('case.command', { caseId: id, command }); // refusals are fine
            }
            await new Promise((r) => setTimeout(r, 5));
          }
          for (const p of proxies) p.faults.blockHttp = false;
          await expectConverged(ts, stations, 30_000);
          // Every mutation written on a workstation has exactly one verdict on the server.
          for (const w of stations) {
            const db = (w.core.store as unknown as { db: import('better-sqlite3-multiple-ciphers').Database }).db;
            const mine = db.prepare('SELECT mutation_id FROM outbox ORDER BY local_seq').pluck().all() as string[];
            const { rows } = await ts.db.query<{ mutation_id: string }>(
              'SELECT mutation_id FROM mutation_results WHERE tenant = $1 AND mutation_id = ANY($2::uuid[])',
              [TENANT, mine],
            );
            expect(rows.length).toBe(mine.length);
            // The server applied this workstation's accepted mutations in its order.
            const { rows: applied } = await ts.db.query<{ id: string }>('SELECT id FROM events WHERE tenant = $1 AND id = ANY($2::uuid[]) ORDER BY seq', [TENANT, mine]);
            const localOrder = mine.filter((id) => applied.some((a) => a.id === id));
            expect(applied.map((a) => a.id)).toEqual(localOrder);
          }
          const { rows: seqs } = await ts.db.query<{ n: number; max: number }>('SELECT count(*)::int AS n, coalesce(max(seq), 0)::int AS max FROM events WHERE tenant = $1', [TENANT]);
          expect(seqs[0]!.n).toBe(seqs[0]!.max); // gapless 1..N
        } finally {
          for (const p of proxies) p.faults.blockHttp = false;
          await Promise.all(stations.map((s) => s.close()));
          await Promise.all(proxies.map((p) => p.close()));
        }
      }),
      {
        numRuns: Number(process.env.PERMANENCE_PROPERTY_RUNS ?? 12),
        endOnFailure: true,
        // To replay a failure printed by CI: PERMANENCE_PROPERTY_SEED=<seed>.
        ...(process.env.PERMANENCE_PROPERTY_SEED ? { seed: Number(process.env.PERMANENCE_PROPERTY_SEED) } : {}),
      },
    );
  }, 300_000);
});
