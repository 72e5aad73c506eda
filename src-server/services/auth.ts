/**
 * Users and tokens. Passwords are hashed with scrypt (Node's crypto, no native addon); a
 * workstation logs in and gets a short-lived signed token (JWT, HS256, via jose) that names the
 * user, role, tenant and workstation. Every request and socket presents it; the tenant is taken
 * from the token only, never from the request.
 */
import { randomUUID, createHash } from 'node:crypto';
import { hashPassword, verifyPassword } from '../../src-node-shared/password-hash.js';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Role } from '../../src-shared/domain/codes.js';
import type { Queryable } from '../db/sql.js';

export { hashPassword, verifyPassword };

export interface TokenClaims {
  userId: string;
  tenant: string;
  /** 'effector': a doctor on the effector page, never a workstation user. */
  role: Role | 'effector';
  displayName: string;
  workstationId: string;
}

export class AuthError extends Error {
  constructor(
    readonly code: 'unauthenticated' | 'token_expired' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

export class TokenService {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error('PERMANENCE_TOKEN_SECRET must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: TokenClaims): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ ten: claims.tenant, rol: claims.role, nam: claims.displayName, wks: claims.workstationId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
  }

  async verify(token: string): Promise<TokenClaims & { expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
      });
      return {
        userId: String(payload.sub),
        tenant: String(payload.ten),
        role: payload.rol as Role | 'effector',
        displayName: String(payload.nam),
        workstationId: String(payload.wks),
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
}

export async function findUser(db: Queryable, tenant: string, login: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE tenant = $1 AND login = $2', [tenant, login]);
  return rows[0];
}

export async function createUser(
  db: Queryable,
  user: { tenant: string; login: string; displayName: string; role: Role; password: string; sip?: { username: string; password: string } },
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
  await db.query(
    `INSERT INTO users (id, tenant, login, display_name, role, password_hash, sip_username, sip_ha1)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant, login) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
       password_hash = EXCLUDED.password_hash, sip_username = EXCLUDED.sip_username, sip_ha1 = EXCLUDED.sip_ha1,
       active = TRUE`,
    [id, user.tenant, user.login, user.displayName, user.role, await hashPassword(user.password), user.sip?.username ?? null, ha1],
  );
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
