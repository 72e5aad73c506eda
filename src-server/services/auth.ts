/**
 * Users and tokens. Passwords are hashed with argon2id (src-node-shared/password-hash.ts); a
 * workstation or an effector's phone logs in and gets a short-lived signed token (JWT, HS256, via
 * jose) that names its server-side session (services/sessions.ts), the user, the tenant and the
 * workstation. Each center and each kind of token has its own key, derived from the server's secret
 * (HKDF), with its version in the header (`kid`) and the kind as audience: a token of one center or
 * one kind opens nothing of another, and the key can be rotated while the previous version's tokens
 * live out their half hour. The tenant is taken from the token only, never from the request.
 */
import { randomUUID, createHash, hkdfSync } from 'node:crypto';
import { hashPassword, verifyPassword } from '../../src-node-shared/password-hash.js';
import { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { Role } from '../../src-shared/domain/codes.js';
import type { Queryable } from '../db/sql.js';

export { hashPassword, verifyPassword };

/** Who a token is for: a regulation workstation, or an effector doctor's phone page. */
export type TokenKind = 'workstation' | 'effector';

export interface TokenClaims {
  userId: string;
  tenant: string;
  /** 'effector': a doctor on the effector page, never a workstation user. */
  role: Role | 'effector';
  displayName: string;
  workstationId: string;
  /** The server-side session the token belongs to. */
  sessionId: string;
}

export class AuthError extends Error {
  constructor(
    readonly code: 'unauthenticated' | 'token_expired' | 'forbidden' | 'session_ended',
    message: string,
  ) {
    super(message);
  }
}

const audience = (kind: TokenKind) => `permanence:${kind}`;

export class TokenService {
  private readonly secret: Buffer;
  private readonly keys = new Map<string, Uint8Array>();
  /** Tokens verified lately (a workstation presents the same one for half an hour): not verified again. */
  private readonly verified = new Map<string, TokenClaims & { expiresAt: number }>();
  constructor(
    secret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    /** The current key version; tokens of the version before it are still accepted. */
    readonly keyVersion = 1,
  ) {
    if (secret.length < 32) throw new Error('PERMANENCE_TOKEN_SECRET must be at least 32 characters');
    this.secret = Buffer.from(secret, 'utf8');
  }

  private key(tenant: string, kind: TokenKind, version: number): Uint8Array {
    const id = `${tenant}/${kind}/v${version}`;
    let k = this.keys.get(id);
    if (!k) {
      k = new Uint8Array(hkdfSync('sha256', this.secret, 'permanence-token-keys', id, 32));
      this.keys.set(id, k);
    }
    return k;
  }

  async issue(kind: TokenKind, claims: TokenClaims): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ ten: claims.tenant, rol: claims.role, nam: claims.displayName, wks: claims.workstationId, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', kid: `${kind}.${this.keyVersion}` })
      .setSubject(claims.userId)
      .setAudience(audience(kind))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key(claims.tenant, kind, this.keyVersion));
    return { token, expiresAt: exp * 1000 };
  }

  /** A token's claims, checked with the key of its kind and version (its header's key id names them). */
  async verify(token: string): Promise<TokenClaims & { expiresAt: number }> {
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.expiresAt > this.now()) return hit;
      this.verified.delete(token);
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= 20_000) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<TokenClaims & { expiresAt: number }> {
    try {
      // The tenant and key version are read first, unverified, to pick the key that must verify them.
      const { kid } = decodeProtectedHeader(token);
      const { ten } = decodeJwt(token);
      const m = /^(workstation|effector)\.(\d+)$/.exec(String(kid));
      const version = m ? Number(m[2]) : NaN;
      if (!m || typeof ten !== 'string' || !(version === this.keyVersion || version === this.keyVersion - 1)) throw new Error('unknown key');
      const kind = m[1] as TokenKind;
      const { payload } = await jwtVerify(token, this.key(ten, kind, version), {
        algorithms: ['HS256'],
        audience: audience(kind),
        currentDate: new Date(this.now()),
      });
      if (typeof payload.sid !== 'string') throw new Error('no session');
      return {
        userId: String(payload.sub),
        tenant: ten,
        role: payload.rol as Role | 'effector',
        displayName: String(payload.nam),
        workstationId: String(payload.wks),
        sessionId: payload.sid,
        expiresAt: (payload.exp ?? 0) * 1000,
      };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthError('token_expired', 'Session expirée : reconnectez-vous.');
      throw new AuthError('unauthenticated', 'Jeton invalide.');
    }
  }
}

export interface UserRow {
  id: string;
  tenant: string;
  login: string;
  display_name: string;
  role: Role;
  password_hash: string;
  active: boolean;
  sip_username: string | null;
  sip_ha1: string | null;
  organisation_id: string | null;
  /** Sealed TOTP secret (services/second-factor.ts), when the user enrolled one. */
  totp_secret: string | null;
}

export async function findUser(db: Queryable, tenant: string, login: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE tenant = $1 AND login = $2', [tenant, login]);
  return rows[0];
}

export class UserExistsError extends Error {
  constructor(login: string) {
    super(`L’identifiant « ${login} » existe déjà : modifiez ce compte plutôt que d’en créer un autre.`);
  }
}

/**
 * A new account. An existing login is an error (`UserExistsError`), never a silent replacement of
 * its password and role; seeding a demo or test center at each start passes `ifExists: 'keep'`.
 */
export async function createUser(
  db: Queryable,
  user: { tenant: string; login: string; displayName: string; role: Role; password: string; sip?: { username: string; password: string } },
  options: { ifExists?: 'error' | 'keep' } = {},
): Promise<string> {
  const id = `${user.tenant}:${user.login}`;
  // The SIP password is kept only as the digest's HA1 for the center's realm (its SIP domain).
  let ha1: string | null = null;
  if (user.sip) {
    const { rows } = await db.query<{ sip_domain: string | null }>('SELECT sip_domain FROM tenants WHERE id = $1', [user.tenant]);
    const realm = rows[0]?.sip_domain;
    if (!realm) throw new Error(`center ${user.tenant} has no SIP domain: set it before SIP accounts`);
    ha1 = sipHa1(user.sip.username, realm, user.sip.password);
  }
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (id, tenant, login, display_name, role, password_hash, sip_username, sip_ha1)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant, login) DO NOTHING RETURNING id`,
    [id, user.tenant, user.login, user.displayName, user.role, await hashPassword(user.password), user.sip?.username ?? null, ha1],
  );
  if (!rows[0] && options.ifExists !== 'keep') throw new UserExistsError(user.login);
  return id;
}

export async function createTenant(
  db: Queryable,
  tenant: { id: string; name: string; department: string; sip?: { wsUrl: string; domain: string } },
): Promise<void> {
  await db.query(
    `INSERT INTO tenants (id, name, department, epoch, sip_ws_url, sip_domain) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET sip_ws_url = EXCLUDED.sip_ws_url, sip_domain = EXCLUDED.sip_domain`,
    [tenant.id, tenant.name, tenant.department, randomUUID(), tenant.sip?.wsUrl ?? null, tenant.sip?.domain ?? null],
  );
}

/** HTTP digest HA1 (RFC 2617): MD5 of "username:realm:password", what a SIP phone needs to authenticate. */
export function sipHa1(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest('hex');
}
