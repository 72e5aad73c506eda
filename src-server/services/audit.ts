/**
 * The two append-only audits (the database refuses UPDATE and DELETE on them, migration 13):
 *   - the account audit: who created, changed, deactivated an account, ended a session, changed a
 *     setting, and every refused login (from which address);
 *   - the access audit: who read what of a patient (a case opened, fetched, exported; a search
 *     that returned patients; an identity revealed to an effector doctor), for the patient's
 *     access-log requests (CSP art. R.6113-9-2: the author, the local time, the action).
 */
import type { Queryable } from '../db/sql.js';
import type { AccessEntryView as AccessEntry, RecordedRead } from '../../src-shared/schemas/access-audit.js';

/** What a read was: the workstation's own (opened, printed, exported, searched, lock), or the server's. */
export type AccessAction =
  | RecordedRead['action']
  | 'case.break_glass'
  | 'case.history'
  | 'snapshot'
  | 'effector.reveal'
  | 'report.download'
  | 'hub.messages'
  | 'agenda.bookings'
  | 'callback.claim'
  | 'recording.play'
  | 'recording.export';

export interface AccessRecord {
  userId: string;
  displayName: string;
  role: string;
  organisation: string | null;
  workstation: string | null;
  address: string | null;
  action: AccessAction;
  caseId?: string | null;
  detail?: string | null;
  /** Why, for a read outside the user's role ("bris de glace"). */
  reason?: string | null;
  /** When it happened (a workstation's offline read is sent later). */
  at?: number;
  /** The workstation's id of an offline read: sent twice, kept once. */
  clientId?: string | null;
}

export class Audit {
  constructor(
    private readonly db: Queryable,
    private readonly now: () => number,
  ) {}

  async account(tenant: string, e: { actor: string; action: string; target?: string | null; address?: string | null; detail?: unknown }): Promise<void> {
    await this.db.query('INSERT INTO account_audit (tenant, at, actor, action, target, address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      tenant,
      this.now(),
      e.actor,
      e.action,
      e.target ?? null,
      e.address ?? null,
      e.detail === undefined ? null : JSON.stringify(e.detail),
    ]);
  }

  /** One or more reads, in one statement. */
  async access(tenant: string, records: AccessRecord[]): Promise<void> {
    if (records.length === 0) return;
    const values: unknown[] = [];
    const rows = records.map((r, i) => {
      values.push(tenant, r.at ?? this.now(), r.userId, r.displayName, r.role, r.organisation, r.workstation, r.address, r.action, r.caseId ?? null, r.detail ?? null, r.reason ?? null, r.clientId ?? null);
      const b = i * 13;
      return `(${Array.from({ length: 13 }, (_, k) => `$${b + k + 1}`).join(', ')})`;
    });
    await this.db.query(
      `INSERT INTO access_audit (tenant, at, user_id, display_name, role, organisation, workstation, address, action, case_id, detail, reason, client_id)
       VALUES ${rows.join(', ')} ON CONFLICT (client_id) WHERE client_id IS NOT NULL DO NOTHING`,
      values,
      records.length === 1 ? 'access-audit-1' : undefined,
    );
  }

  /** Who accessed this case, oldest first. */
  async ofCase(tenant: string, caseId: string): Promise<AccessEntry[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM access_audit WHERE tenant = $1 AND case_id = $2 ORDER BY at, id', [tenant, caseId]);
    return rows.map(entry);
  }

  /** What a user accessed in a period (the per-user report). */
  async ofUser(tenant: string, userId: string, from: number, to: number): Promise<AccessEntry[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM access_audit WHERE tenant = $1 AND user_id = $2 AND at >= $3 AND at < $4 ORDER BY at, id', [tenant, userId, from, to]);
    return rows.map(entry);
  }
}

interface Row {
  at: number;
  user_id: string;
  display_name: string;
  role: string;
  organisation: string | null;
  workstation: string | null;
  address: string | null;
  action: string;
  case_id: string | null;
  detail: string | null;
  reason: string | null;
}

const entry = (r: Row): AccessEntry => ({
  at: Number(r.at),
  userId: r.user_id,
  displayName: r.display_name,
  role: r.role,
  organisation: r.organisation,
  workstation: r.workstation,
  address: r.address,
  action: r.action,
  caseId: r.case_id,
  detail: r.detail,
  reason: r.reason,
});
