import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  // The default 30 s cache TTL: expiry must cut it short.
  system = await startTestSystem({ AUTH_CACHE_TTL_MS: '30000' });
});
afterAll(() => system?.stop());

// Sign-ins and password changes hash with scrypt (slow on purpose): generous on a busy machine.
describe('credential lifetimes', { timeout: 120_000 }, () => {
  it('an API key stops working at its expires_at, however long the gateway caches', async () => {
    const { token } = await newUser(system.api, 'expiring');
    const expiresAt = Date.now() + 4_000;
    const created = await system.api('POST', '/auth/api-keys', {
      token,
      body: { name: 'short-lived', expires_at: new Date(expiresAt).toISOString() },
    });
    expect(created.status).toBe(201);
    const key = created.body.data.key as string;
    const before = await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } });
    // On a machine so busy that four seconds passed already, the key is (rightly) refused here too.
    expect(before.status).toBe(Date.now() < expiresAt ? 200 : 401);
    await vi.waitUntil(() => Date.now() > expiresAt + 10, { timeout: 10_000, interval: 50 });
    const after = await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
  });

  it('a password change revokes every API key and every other session, at once', async () => {
    const { token, email } = await newUser(system.api, 'rotating');
    const other = await system.api('POST', '/auth/login', { body: { email, password: 'correct horse battery' } });
    const key = (await system.api('POST', '/auth/api-keys', { token: other.body.data.token, body: { name: 'made with a stolen session' } }))
      .body.data.key;
    // Both are cached by the gateway now.
    expect((await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } })).status).toBe(200);
    expect((await system.api('GET', '/auth/me', { token: other.body.data.token })).status).toBe(200);

    const changed = await system.api('PUT', '/auth/me', {
      token,
      body: { password: 'a brand new secret', current_password: 'correct horse battery' },
    });
    expect(changed.status).toBe(200);

    expect((await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } })).status).toBe(401);
    expect((await system.api('GET', '/auth/me', { token: other.body.data.token })).status).toBe(401);
    expect((await system.api('GET', '/auth/me', { token })).status).toBe(200);
    expect((await system.api('GET', '/auth/api-keys', { token })).body.data).toEqual([]);
  });
});
