import { describe, expect, it } from 'vitest';
import { openWithPassword, sealWithPassword } from '../../src-node-shared/password-hash.js';

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
