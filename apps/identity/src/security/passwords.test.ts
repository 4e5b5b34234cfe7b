import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

// The standard cost is CPU-heavy by design (a few hundred ms per hash): on a busy machine a
// test of it needs time, which says nothing about its correctness.
describe('password hashing', { timeout: 120_000 }, () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    await expect(verifyPassword('correct horse battery', first)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', first)).resolves.toBe(false);
  });

  it('treats Unicode forms of one password alike and refuses malformed hashes', async () => {
    const stored = await hashPassword('Ångström-pass');
    await expect(verifyPassword('A\u030Angstro\u0308m-pass', stored)).resolves.toBe(true);
    for (const bad of ['', 'plain', 'scrypt$1$2$3', 'bcrypt$x$y$z$a$b']) await expect(verifyPassword('x', bad)).resolves.toBe(false);
  });

  it('verifies against the parameters stored with the hash, so they can be raised later', async () => {
    const stored = await hashPassword('long enough');
    const [, , r, p, salt, key] = stored.split('$');
    await expect(verifyPassword('long enough', ['scrypt', '16384', r, p, salt, key].join('$'))).resolves.toBe(false);
  });
});
