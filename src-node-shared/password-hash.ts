/**
 * Password hashing for the server (users) and the workstation (offline re-login), with scrypt from
 * Node's crypto (no native addon). Format: scrypt$N$r$p$salt$key (base64).
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (secret: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...PARAMS, maxmem: MAXMEM });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return timingSafeEqual(actual, expected);
}

/**
 * Seal a secret with a key derived from the user's password (scrypt, AES-256-GCM): what only that
 * user, typing their password, can open again on this workstation (the SIP account for an
 * offline login). Format: v1$salt$iv$tag$ciphertext (base64).
 */
export async function sealWithPassword(password: string, plaintext: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await scrypt(password, salt, 32, { ...PARAMS, maxmem: MAXMEM });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', salt, iv, cipher.getAuthTag(), data].map((x) => (typeof x === 'string' ? x : x.toString('base64'))).join('$');
}

/** The sealed secret, or null with a wrong password or a damaged seal. */
export async function openWithPassword(password: string, sealed: string): Promise<string | null> {
  const [version, salt, iv, tag, data] = sealed.split('$');
  if (version !== 'v1' || !salt || !iv || !tag || !data) return null;
  try {
    const key = await scrypt(password, Buffer.from(salt, 'base64'), 32, { ...PARAMS, maxmem: MAXMEM });
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
