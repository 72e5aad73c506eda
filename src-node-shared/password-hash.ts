/**
 * Password hashing for the server (users, effectors) and the workstation (offline re-login):
 * argon2id with OWASP's parameters (19 MiB, 2 passes), by @node-rs/argon2, which hashes on
 * libuv's thread pool (a burst of logins does not stall the event loop) in about 10 ms.
 * Hashes made before it (scrypt$N$r$p$salt$key, N = 2^14) still verify; `needsRehash` tells the
 * login to store the stronger hash. The sealing of a secret with a password stays scrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

const scrypt = promisify(scryptCb) as (secret: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };
const MAXMEM = 64 * 1024 * 1024;

// algorithm 2: Argon2id (the library's const enum cannot be imported under isolatedModules).
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2);
}

/** A hash made with weaker parameters than today's: store a new one at the next good login. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`$argon2id$v=19$m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=${ARGON2.parallelism}$`);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return argon2Verify(stored, password).catch(() => false);
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
