/**
 * The center's call log on the server: the phones' reports are kept as received (append-only)
 * and merged into one row per call. Reports of one tenant are applied one batch at a time, so two
 * phones reporting the same call at the same moment cannot overwrite each other's view.
 */
import { mergeCallReport, RING_STALE_MS } from '../../src-shared/domain/call-log.js';
import type { CallAgent, CallReport, CenterCall } from '../../src-shared/schemas/call-log.js';
import type { SqlDatabase } from '../db/sql.js';

/** Calls answered and not reported ended for this long are no longer shown as in progress. */
export const IN_PROGRESS_STALE_MS = 4 * 3_600_000;

export class CallLog {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  /** Store and merge reports; resolves with how many were new (a retry's duplicates are not). */
  record(tenant: string, agent: CallAgent, reports: CallReport[]): Promise<number> {
    const previous = this.chains.get(tenant) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.apply(tenant, agent, reports));
    this.chains.set(tenant, run);
    // (The caller gets the failure; this bookkeeping must not leave a second, unhandled one.)
    run
      .finally(() => {
        if (this.chains.get(tenant) === run) this.chains.delete(tenant);
      })
      .catch(() => {});
    return run;
  }

  private async apply(tenant: string, agent: CallAgent, reports: CallReport[]): Promise<number> {
    const receivedAt = this.now();
    return this.db.transaction(async (tx) => {
      const { rows: inserted } = await tx.query<{ id: string }>(
        `INSERT INTO call_reports (tenant, id, call_id, user_id, workstation, received_at, report)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          tenant,
          reports.map((r) => r.id),
          reports.map((r) => r.callId),
          reports.map(() => agent.userId),
          reports.map(() => agent.workstation),
          reports.map(() => receivedAt),
          reports.map((r) => JSON.stringify(r)),
        ],
      );
      const fresh = new Set(inserted.map((r) => r.id));
      const todo = reports.filter((r) => fresh.has(r.id));
      if (todo.length === 0) return 0;
      const ids = [...new Set(todo.map((r) => r.callId))];
      const { rows } = await tx.query<{ call_id: string; data: string }>('SELECT call_id, data FROM calls WHERE tenant = $1 AND call_id = ANY($2::text[])', [tenant, ids]);
      const calls = new Map(rows.map((r) => [r.call_id, JSON.parse(r.data) as CenterCall]));
      for (const r of todo) calls.set(r.callId, mergeCallReport(calls.get(r.callId), r, agent));
      const merged = ids.map((id) => calls.get(id)!);
      await tx.query(
        `INSERT INTO calls (tenant, call_id, direction, internal_transfer, status, arrived_at, answered_at, ended_at, transferred, case_id, data)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::boolean[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::boolean[], $10::uuid[], $11::text[])
         ON CONFLICT (tenant, call_id) DO UPDATE SET status = EXCLUDED.status, arrived_at = EXCLUDED.arrived_at, answered_at = EXCLUDED.answered_at,
           ended_at = EXCLUDED.ended_at, transferred = EXCLUDED.transferred, case_id = EXCLUDED.case_id, internal_transfer = EXCLUDED.internal_transfer,
           data = EXCLUDED.data`,
        [
          tenant,
          merged.map((c) => c.callId),
          merged.map((c) => c.direction),
          merged.map((c) => c.referredBy !== null),
          merged.map((c) => c.status),
          merged.map((c) => c.arrivedAt),
          merged.map((c) => c.answeredAt),
          merged.map((c) => (c.status === 'ended' ? c.endedAt : null)),
          merged.map((c) => c.transferredTo !== null),
          merged.map((c) => c.caseId),
          merged.map((c) => JSON.stringify(c)),
        ],
      );
      return todo.length;
    });
  }

  /** Calls ringing or in progress now (a ringing call with no news for 90 s is left out). */
  async live(tenant: string): Promise<CenterCall[]> {
    const now = this.now();
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM calls WHERE tenant = $1 AND status <> 'ended' AND arrived_at > $2 ORDER BY arrived_at`,
      [tenant, now - IN_PROGRESS_STALE_MS],
    );
    return rows.map((r) => JSON.parse(r.data) as CenterCall).filter((c) => c.status === 'in_progress' || now - c.arrivedAt < RING_STALE_MS);
  }
}
