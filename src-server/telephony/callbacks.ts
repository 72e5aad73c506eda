/**
 * The callback list: callers who hung up before an agent answered. One open entry per number
 * (a unique index enforces it), repeated abandons counted on it; an agent claims an entry to call
 * back (it leaves everyone's list to do at once: only one claim wins), then says whether the
 * patient was reached (closed, linked to the call and the case) or not (back on the list).
 */
import { randomUUID } from 'node:crypto';
import type { CallbackEntry, CallbackResult } from '../../src-shared/schemas/lines.js';
import type { LineSettings } from '../../src-shared/domain/line-queue.js';
import type { Queryable, SqlDatabase } from '../db/sql.js';
import { ApiError } from '../http/errors.js';

interface CallbackRow {
  id: string;
  number: string;
  line: string;
  first_at: string;
  last_at: string;
  abandons: number;
  longest_wait_ms: string;
  state: 'open' | 'calling';
  claimed_by: string | null;
}

export class CallbackList {
  constructor(
    private readonly db: SqlDatabase,
    private readonly lines: ReadonlyMap<string, LineSettings>,
    private readonly now: () => number,
  ) {}

  /** A caller hung up after waiting `waitMs`: a new entry, or one more abandon on the number's open entry. */
  async recordAbandon(tx: Queryable, tenant: string, number: string, line: string, at: number, waitMs: number): Promise<void> {
    await tx.query(
      `INSERT INTO callbacks (tenant, id, number, line, first_at, last_at, abandons, longest_wait_ms, state)
       VALUES ($1, $2, $3, $4, $5, $5, 1, $6, 'open')
       ON CONFLICT (tenant, number) WHERE state <> 'done' DO UPDATE SET last_at = EXCLUDED.last_at, abandons = callbacks.abandons + 1,
         longest_wait_ms = greatest(callbacks.longest_wait_ms, EXCLUDED.longest_wait_ms), line = EXCLUDED.line`,
      [tenant, randomUUID(), number, line, at, Math.max(0, Math.round(waitMs))],
    );
  }

  async list(tenant: string): Promise<CallbackEntry[]> {
    const { rows } = await this.db.query<CallbackRow>(
      `SELECT c.id, c.number, c.line, c.first_at, c.last_at, c.abandons, c.longest_wait_ms, c.state, u.display_name AS claimed_by
       FROM callbacks c LEFT JOIN users u ON u.tenant = c.tenant AND u.id = c.claimed_by
       WHERE c.tenant = $1 AND c.state <> 'done' ORDER BY c.first_at`,
      [tenant],
      'callbacks-list',
    );
    return rows.map((r) => {
      const line = this.lines.get(r.line);
      return {
        id: r.id,
        number: r.number,
        line: r.line,
        lineLabel: line?.label ?? r.line,
        firstAt: Number(r.first_at),
        lastAt: Number(r.last_at),
        abandons: r.abandons,
        longestWaitMs: Number(r.longest_wait_ms),
        state: r.state,
        claimedBy: r.claimed_by,
        callerId: line?.callbackCallerId ?? null,
      };
    });
  }

  /** Figures for the wall screen: open entries, the oldest, abandons since `since`. */
  async figures(tenant: string, since: number): Promise<{ open: number; oldestAt: number | null; received: number; abandoned: number }> {
    const { rows } = await this.db.query<{ open: string; oldest: string | null; received: string; abandoned: string }>(
      `SELECT (SELECT count(*) FROM callbacks WHERE tenant = $1 AND state = 'open') AS open,
              (SELECT min(first_at) FROM callbacks WHERE tenant = $1 AND state = 'open') AS oldest,
              (SELECT count(*) FROM line_calls WHERE tenant = $1 AND arrived_at >= $2) AS received,
              (SELECT count(*) FROM line_calls WHERE tenant = $1 AND arrived_at >= $2 AND state = 'abandoned') AS abandoned`,
      [tenant, since],
      'callbacks-figures',
    );
    const r = rows[0]!;
    return { open: Number(r.open), oldestAt: r.oldest === null ? null : Number(r.oldest), received: Number(r.received), abandoned: Number(r.abandoned) };
  }

  /** This agent calls the number back: refused (409) when a colleague already does or it is done. */
  async claim(tenant: string, id: string, userId: string): Promise<{ number: string; callerId: string | null }> {
    const { rows } = await this.db.query<{ number: string; line: string }>(
      `UPDATE callbacks SET state = 'calling', claimed_by = $3, claimed_at = $4 WHERE tenant = $1 AND id = $2 AND state = 'open' RETURNING number, line`,
      [tenant, id, userId, this.now()],
    );
    if (!rows[0]) {
      const { rows: other } = await this.db.query<{ state: string; name: string | null }>(
        'SELECT c.state, u.display_name AS name FROM callbacks c LEFT JOIN users u ON u.tenant = c.tenant AND u.id = c.claimed_by WHERE c.tenant = $1 AND c.id = $2',
        [tenant, id],
      );
      if (!other[0]) throw new ApiError(404, 'not_found', 'Rappel introuvable.');
      throw new ApiError(409, 'conflict', other[0].state === 'done' ? 'Ce patient a déjà été rappelé.' : `${other[0].name ?? 'Un collègue'} rappelle déjà ce numéro.`);
    }
    return { number: rows[0].number, callerId: this.lines.get(rows[0].line)?.callbackCallerId ?? null };
  }

  /** The outcome of the agent's callback: closed when reached, back on the list otherwise. */
  async finish(tenant: string, id: string, userId: string, result: CallbackResult): Promise<void> {
    const { rows } = result.reached
      ? await this.db.query(
          `UPDATE callbacks SET state = 'done', call_id = $4, case_id = $5, outcome = 'reached', closed_at = $6
           WHERE tenant = $1 AND id = $2 AND state = 'calling' AND claimed_by = $3 RETURNING id`,
          [tenant, id, userId, result.callId, result.caseId, this.now()],
        )
      : await this.db.query(
          `UPDATE callbacks SET state = 'open', claimed_by = NULL, claimed_at = NULL, call_id = $4, outcome = 'not_reached'
           WHERE tenant = $1 AND id = $2 AND state = 'calling' AND claimed_by = $3 RETURNING id`,
          [tenant, id, userId, result.callId],
        );
    if (!rows[0]) throw new ApiError(409, 'conflict', 'Ce rappel n’est pas le vôtre ou est déjà clos.');
  }
}
