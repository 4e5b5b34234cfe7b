import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectAtrium } from '@atrium/client';
import { SESSION_ASSERTION_TTL_MS } from '@atrium/contract';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => system?.stop());

/** A client over NATS, as the `client` bus user, holding `credential`. */
const connectWith = (credential: string) =>
  connectAtrium({ servers: system.natsUrl, pass: system.natsCredentials.client?.password, credential, timeoutMs: 20_000 });

const refusal = (call: Promise<unknown>) =>
  call.then(
    () => 'served',
    (error: { code?: string }) => error.code ?? String(error),
  );

// The REST API refuses these at once (credentials.e2e.test.ts); over NATS it must be the same.
describe("a client's session over NATS ends with its credential", { timeout: 120_000 }, () => {
  it('an API key past its expires_at serves nothing more, although its assertion was exchanged before', async () => {
    const { token } = await newUser(system.api, 'expiring-client');
    const expiresAt = Date.now() + 3_000;
    const created = await system.api('POST', '/auth/api-keys', {
      token,
      body: { name: 'short', expires_at: new Date(expiresAt).toISOString() },
    });
    expect(created.status, created.text).toBe(201);
    const atrium = await connectWith(created.body.data.key);
    try {
      // On a machine so busy the key expired already, it is (rightly) refused here too.
      const before = await refusal(atrium.auth.me({}));
      expect(before).toBe(Date.now() < expiresAt ? 'served' : 'UNAUTHORIZED');
      await vi.waitUntil(() => Date.now() > expiresAt + 10, { timeout: 10_000, interval: 50 });
      expect(await refusal(atrium.auth.me({}))).toBe('UNAUTHORIZED');
      expect(await refusal(atrium.projects.list({}))).toBe('UNAUTHORIZED');
    } finally {
      await atrium.close();
    }
  });

  it('a deleted API key serves nothing more through identity', async () => {
    const { token } = await newUser(system.api, 'revoking-client');
    const created = await system.api('POST', '/auth/api-keys', { token, body: { name: 'to revoke' } });
    const atrium = await connectWith(created.body.data.key);
    try {
      expect(await refusal(atrium.auth.me({}))).toBe('served');
      expect((await system.api('DELETE', `/auth/api-keys/${created.body.data.id}`, { token })).status).toBe(204);
      expect(await refusal(atrium.auth.me({}))).toBe('UNAUTHORIZED');
      expect(await refusal(atrium.apiKeys.list({}))).toBe('UNAUTHORIZED');
    } finally {
      await atrium.close();
    }
  });

  it('a deleted API key serves nothing more at the other services either, long before its session would expire', async () => {
    const { token } = await newUser(system.api, 'revoked-elsewhere');
    const created = await system.api('POST', '/auth/api-keys', { token, body: { name: 'to revoke' } });
    const atrium = await connectWith(created.body.data.key);
    try {
      expect(await refusal(atrium.projects.list({}))).toBe('served');
      const revokedAt = Date.now();
      expect((await system.api('DELETE', `/auth/api-keys/${created.body.data.id}`, { token })).status).toBe(204);
      // The revocation is a notification: waited for, but well within the session's 15 s (and
      // before the client would renew it, 5 s ahead of its end).
      await vi.waitUntil(async () => (await refusal(atrium.projects.list({}))) === 'UNAUTHORIZED', { timeout: 5_000, interval: 50 });
      expect(Date.now() - revokedAt).toBeLessThan(SESSION_ASSERTION_TTL_MS - 5_000);
      expect(await refusal(atrium.projects.create({ name: `revoked-${Date.now()}` }))).toBe('UNAUTHORIZED');
      expect((await system.api('GET', '/projects', { token })).body.data).toEqual([]);
    } finally {
      await atrium.close();
    }
  });

  it("a password change ends another session's client at once", async () => {
    const { token, email } = await newUser(system.api, 'rotating-client');
    const other = await system.api('POST', '/auth/login', { body: { email, password: 'correct horse battery' } });
    const atrium = await connectWith(other.body.data.token);
    try {
      expect(await refusal(atrium.auth.me({}))).toBe('served');
      const changed = await system.api('PUT', '/auth/me', {
        token,
        body: { password: 'a brand new secret', current_password: 'correct horse battery' },
      });
      expect(changed.status, changed.text).toBe(200);
      expect(await refusal(atrium.auth.me({}))).toBe('UNAUTHORIZED');
    } finally {
      await atrium.close();
    }
  });
});
