import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, openWithPassword, sealWithPassword, verifyPassword } from '../../src-node-shared/password-hash.js';

describe('a secret sealed with the user’s password', () => {
  it('opens with that password only, and a tampered seal opens with none', async () => {
    const sealed = await sealWithPassword('arm1-password', '{"username":"arm1","password":"arm1pass"}');
    expect(sealed).not.toContain('arm1pass');
    expect(await openWithPassword('arm1-password', sealed)).toBe('{"username":"arm1","password":"arm1pass"}');
    expect(await openWithPassword('wrong-password', sealed)).toBeNull();
    const parts = sealed.split('$');
    const data = Buffer.from(parts[4]!, 'base64');
    data[0]! ^= 1;
    parts[4] = data.toString('base64');
    expect(await openWithPassword('arm1-password', parts.join('$'))).toBeNull();
    expect(await openWithPassword('arm1-password', 'not a seal')).toBeNull();
  });
});

describe('password hashes', () => {
  it('are argon2id with OWASP’s parameters, verify only the right password, and say when an older scrypt hash needs replacing', async () => {
    const stored = await hashPassword('arm1-password');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword('arm1-password', stored)).toBe(true);
    expect(await verifyPassword('arm1-passworD', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    // A hash of the previous release (scrypt, N = 2^14) still opens the account, and is to be replaced.
    const salt = randomBytes(16);
    const key = scryptSync('old-password', salt, 32, { N: 16384, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('old-password', old)).toBe(true);
    expect(await verifyPassword('other-password', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});
