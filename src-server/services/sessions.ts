/**
 * Server-side sessions. A login opens one (who, which workstation, from which address, how:
 * password or Pro Santé Connect, and the assurance level PSC returned); every token names it. A
 * session ends at logout, at its fixed end (a shift: 12 h by default, whatever the refreshes), when
 * an admin ends it, and when its account changes: password, role, organisation, deactivation.
 *
 * Every authenticated request checks its session. The check is cached for `cacheMs` (2 s by
 * default) in the process: ending a session in this process drops it from the cache at once; another
 * server process of the same center sees the end within `cacheMs` at most.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '../../src-shared/domain/codes.js';
import type { Queryable } from '../db/sql.js';
import type { TokenKind } from './auth.js';

export type SessionEndReason = 'logout' | 'expired' | 'ended_by_admin' | 'password_changed' | 'role_changed' | 'deactivated' | 'organisation_changed' | 'replaced';

export interface OpenSession {
  id: string;
  tenant: string;
  principal: string;
  kind: TokenKind;
  workstation: string;
  expiresAt: number;
  /** The account as it is now (a workstation user): role, organisation, name. */
  role: Role | 'effector';
  organisation: string | null;
  displayName: string;
  /** Opened by a password alone where a second factor is required: it may only enrol one. */
  enrolmentPending: boolean;
}

export interface SessionView {
  id: string;
  principal: string;
  displayName: string;
  role: string;
  kind: TokenKind;
  workstation: string;
  address: string | null;
  method: string;
  acr: string | null;
  startedAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

interface Row {
  id: string;
  tenant: string;
  principal: string;
  kind: TokenKind;
  workstation: string;
  expires_at: number;
  ended_at: number | null;
  role: Role | null;
  active: boolean | null;
  organisation_id: string | null;
  display_name: string | null;
  effector_active: boolean | null;
  enrolment_pending: boolean;
}

export class Sessions {
  private readonly cache = new Map<string, { at: number; session: OpenSession | null }>();

  constructor(
    private readonly db: Queryable,
    private readonly now: () => number,
    private readonly options: { workstationHours: number; effectorHours: number; cacheMs: number } = { workstationHours: 12, effectorHours: 12, cacheMs: 2_000 },
  ) {}

  async open(s: {
    tenant: string;
    principal: string;
    kind: TokenKind;
    workstation: string;
    address: string | null;
    method: 'password' | 'password+totp' | 'psc';
    acr?: string | null;
    enrolmentPending?: boolean;
  }): Promise<{ id: string; expiresAt: number }> {
    const id = randomUUID();
    const at = this.now();
    const expiresAt = at + (s.kind === 'workstation' ? this.options.workstationHours : this.options.effectorHours) * 3600_000;
    await this.db.query(
      `INSERT INTO sessions (id, tenant, principal, kind, workstation, address, method, acr, started_at, last_seen_at, expires_at, enrolment_pending)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)`,
      [id, s.tenant, s.principal, s.kind, s.workstation, s.address, s.method, s.acr ?? null, at, expiresAt, s.enrolmentPending ?? false],
    );
    return { id, expiresAt };
  }

  /** The session if it is open and its account still allows it; null otherwise. */
  async check(id: string): Promise<OpenSession | null> {
    const at = this.now();
    const hit = this.cache.get(id);
    if (hit && at - hit.at < this.options.cacheMs) return hit.session && hit.session.expiresAt > at ? hit.session : null;
    const { rows } = await this.db.query<Row>(
      `SELECT s.id, s.tenant, s.principal, s.kind, s.workstation, s.expires_at, s.ended_at, s.enrolment_pending,
              u.role, u.active, u.organisation_id, u.display_name, e.active AS effector_active
         FROM sessions s
         LEFT JOIN users u ON s.kind = 'workstation' AND u.id = s.principal
         LEFT JOIN effector_accounts e ON s.kind = 'effector' AND e.tenant = s.tenant AND 'effector:' || e.effector_id = s.principal
        WHERE s.id = $1`,
      [id],
      'session-check',
    );
    const r = rows[0];
    const usable = r && r.ended_at === null && Number(r.expires_at) > at && (r.kind === 'workstation' ? r.active === true : r.effector_active === true);
    const session: OpenSession | null = usable
      ? {
          id: r.id,
          tenant: r.tenant,
          principal: r.principal,
          kind: r.kind,
          workstation: r.workstation,
          expiresAt: Number(r.expires_at),
          role: r.kind === 'effector' ? 'effector' : r.role!,
          organisation: r.organisation_id,
          displayName: r.display_name ?? '',
          enrolmentPending: r.enrolment_pending,
        }
      : null;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(id, { at, session });
    return session;
  }

  /** The second factor is enrolled: the session becomes a full one. */
  async completeEnrolment(id: string): Promise<void> {
    await this.db.query('UPDATE sessions SET enrolment_pending = false, method = $2 WHERE id = $1', [id, 'password+totp']);
    this.cache.delete(id);
  }

  /** A refresh: the session was used now (what the admin's list shows). */
  async touch(id: string): Promise<void> {
    await this.db.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1', [id, this.now()]);
  }

  async end(tenant: string, id: string, reason: SessionEndReason): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>('UPDATE sessions SET ended_at = $3, ended_reason = $4 WHERE tenant = $1 AND id = $2 AND ended_at IS NULL RETURNING id', [
      tenant,
      id,
      this.now(),
      reason,
    ]);
    this.cache.delete(id);
    return rows.length > 0;
  }

  /** Ends every open session of an account (its password, role or organisation changed). */
  async endAllOf(tenant: string, principal: string, reason: SessionEndReason): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(
      'UPDATE sessions SET ended_at = $3, ended_reason = $4 WHERE tenant = $1 AND principal = $2 AND ended_at IS NULL RETURNING id',
      [tenant, principal, this.now(), reason],
    );
    for (const r of rows) this.cache.delete(r.id);
    return rows.length;
  }

  /** Who is logged in where: the open sessions of a center, newest first. */
  async list(tenant: string): Promise<SessionView[]> {
    const { rows } = await this.db.query<{
      id: string;
      principal: string;
      display_name: string | null;
      role: string | null;
      kind: TokenKind;
      workstation: string;
      address: string | null;
      method: string;
      acr: string | null;
      started_at: number;
      last_seen_at: number;
      expires_at: number;
    }>(
      `SELECT s.id, s.principal, u.display_name, u.role, s.kind, s.workstation, s.address, s.method, s.acr, s.started_at, s.last_seen_at, s.expires_at
         FROM sessions s LEFT JOIN users u ON s.kind = 'workstation' AND u.id = s.principal
        WHERE s.tenant = $1 AND s.ended_at IS NULL AND s.expires_at > $2
        ORDER BY s.started_at DESC`,
      [tenant, this.now()],
    );
    return rows.map((r) => ({
      id: r.id,
      principal: r.principal,
      displayName: r.display_name ?? r.principal.replace(/^effector:/, ''),
      role: r.kind === 'effector' ? 'effector' : (r.role ?? ''),
      kind: r.kind,
      workstation: r.workstation,
      address: r.address,
      method: r.method,
      acr: r.acr,
      startedAt: Number(r.started_at),
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Number(r.expires_at),
    }));
  }
}
