/**
 * The second factor of password logins: TOTP (RFC 6238, 30 s, 6 digits) with otplib, enrolled by
 * the user (a secret shown once as a QR code, confirmed by a first code), reset by an admin. The
 * secret is stored sealed with a key derived from the server's secret (AES-256-GCM); a code is never
 * accepted twice (the last time step used is kept). And the center's security settings.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { DEFAULT_SECURITY_SETTINGS, type SecuritySettings } from '../../src-shared/schemas/security.js';
import type { Queryable } from '../db/sql.js';

export class SecondFactor {
  private readonly key: Buffer;

  constructor(
    private readonly db: Queryable,
    serverSecret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(serverSecret, 'utf8'), 'permanence-totp', 'totp-secrets/v1', 32));
  }

  private seal(secret: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return ['v1', iv, c.getAuthTag(), data].map((x) => (typeof x === 'string' ? x : x.toString('base64'))).join('$');
  }

  private open(sealed: string): string {
    const [, iv, tag, data] = sealed.split('$');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv!, 'base64'));
    d.setAuthTag(Buffer.from(tag!, 'base64'));
    return Buffer.concat([d.update(Buffer.from(data!, 'base64')), d.final()]).toString('utf8');
  }

  /** A new secret for this user, pending until a first code confirms it. */
  async enrol(userId: string, label: string, issuer: string): Promise<{ secret: string; uri: string }> {
    const secret = generateSecret();
    await this.db.query('UPDATE users SET totp_pending = $2 WHERE id = $1', [userId, this.seal(secret)]);
    return { secret, uri: generateURI({ issuer, label, secret }) };
  }

  /** The first code from the app: the pending secret becomes the user's. */
  async confirm(userId: string, code: string): Promise<boolean> {
    const { rows } = await this.db.query<{ totp_pending: string | null }>('SELECT totp_pending FROM users WHERE id = $1', [userId]);
    const pending = rows[0]?.totp_pending;
    if (!pending) return false;
    const r = await verify({ secret: this.open(pending), token: code, epochTolerance: 30, epoch: Math.floor(this.now() / 1000) });
    if (!r.valid) return false;
    await this.db.query('UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2 WHERE id = $1', [userId, stepOf(r)]);
    return true;
  }

  /** A login's code: valid now (± 30 s), and newer than the last one used. */
  async check(userId: string, sealedSecret: string, code: string): Promise<boolean> {
    const { rows } = await this.db.query<{ totp_last_step: number | null }>('SELECT totp_last_step FROM users WHERE id = $1', [userId]);
    const last = rows[0]?.totp_last_step;
    const r = await verify({
      secret: this.open(sealedSecret),
      token: code,
      epochTolerance: 30,
      epoch: Math.floor(this.now() / 1000),
      ...(last !== null && last !== undefined ? { afterTimeStep: Number(last) } : {}),
    });
    if (!r.valid) return false;
    // Two logins with the same code at the same moment: only one moves the last step forward.
    const { rows: won } = await this.db.query<{ id: string }>(
      'UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id',
      [userId, stepOf(r)],
    );
    return won.length > 0;
  }

  async reset(userId: string): Promise<void> {
    await this.db.query('UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1', [userId]);
  }
}

/** A TOTP verification's time step (otplib's result type is shared with HOTP, which has none). */
const stepOf = (r: object): number => (r as { timeStep: number }).timeStep;

export async function securitySettingsOf(db: Queryable, tenant: string): Promise<SecuritySettings> {
  const { rows } = await db.query<{ require_second_factor: boolean; idle_lock_seconds: SecuritySettings['idleLockSeconds'] | string }>(
    'SELECT require_second_factor, idle_lock_seconds FROM security_settings WHERE tenant = $1',
    [tenant],
  );
  const r = rows[0];
  if (!r) return DEFAULT_SECURITY_SETTINGS;
  const idle = typeof r.idle_lock_seconds === 'string' ? (JSON.parse(r.idle_lock_seconds) as SecuritySettings['idleLockSeconds']) : r.idle_lock_seconds;
  return { requireSecondFactor: r.require_second_factor, idleLockSeconds: { ...DEFAULT_SECURITY_SETTINGS.idleLockSeconds, ...idle } };
}

export async function setSecuritySettings(db: Queryable, tenant: string, s: SecuritySettings, by: string, at: number): Promise<void> {
  await db.query(
    `INSERT INTO security_settings (tenant, require_second_factor, idle_lock_seconds, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant) DO UPDATE SET require_second_factor = EXCLUDED.require_second_factor, idle_lock_seconds = EXCLUDED.idle_lock_seconds,
       updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [tenant, s.requireSecondFactor, JSON.stringify(s.idleLockSeconds), at, by],
  );
}
