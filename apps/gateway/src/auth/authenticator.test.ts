import { describe, expect, it, vi } from 'vitest';
import { CREDENTIAL_REVOKED_SUBJECT, credentialDigest } from '@atrium/contract';
import { TRPCError } from '@trpc/server';
import { ServiceUnavailableError, createLocalBroadcast } from '@atrium/nats-trpc';
import type { ProcedureCall, ServiceTransport } from '@atrium/nats-trpc';
import { cacheLifetime, createAuthenticator } from './authenticator.js';
import { credentialFromHeaders } from './credentials.js';

const caller = {
  user: {
    id: '550e8400-e29b-41d4-a716-446655440000',
    email: 'a@example.com',
    name: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  },
  credential_id: '550e8400-e29b-41d4-a716-446655440001',
  credential_kind: 'session' as const,
  expires_at: null as string | null,
  project_ids: null,
  access: 'write' as const,
};

/** Stands in for identity and counts how often it is asked. */
function identityStandIn(answer: (call: ProcedureCall) => Promise<unknown>) {
  const calls: ProcedureCall[] = [];
  const transport: ServiceTransport = {
    call: async (call) => {
      calls.push(call);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return answer(call);
    },
  };
  return { transport, calls };
}

describe('credentials', () => {
  it('come from a Bearer header or x-api-key', () => {
    expect(credentialFromHeaders({ authorization: 'Bearer ats_abc' })).toBe('ats_abc');
    expect(credentialFromHeaders({ authorization: 'bearer  atk_x ' })).toBe('atk_x');
    expect(credentialFromHeaders({ 'x-api-key': 'atk_key' })).toBe('atk_key');
    expect(credentialFromHeaders({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(credentialFromHeaders({})).toBeUndefined();
  });
});

describe('the authenticator', () => {
  it('asks identity once per credential, even for concurrent requests', async () => {
    const identity = identityStandIn(async () => caller);
    const auth = createAuthenticator({ transport: identity.transport, broadcast: createLocalBroadcast(), ttlMs: 30_000, max: 10 });
    const answers = await Promise.all([1, 2, 3].map(() => auth.authenticate('ats_token', 'r')));
    await auth.authenticate('ats_token', 'r');
    expect(answers).toEqual([caller, caller, caller]);
    expect(identity.calls).toHaveLength(1);
    expect(identity.calls[0]).toMatchObject({ service: 'identity', path: 'credentials.authenticate', input: { credential: 'ats_token' } });
  });

  it('does not cache refusals', async () => {
    const identity = identityStandIn(async () => {
      throw new ServiceUnavailableError('identity', 'timeout');
    });
    const auth = createAuthenticator({ transport: identity.transport, broadcast: createLocalBroadcast(), ttlMs: 30_000, max: 10 });
    await expect(auth.authenticate('ats_token', 'r')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(auth.authenticate('ats_token', 'r')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(identity.calls).toHaveLength(2);
  });

  it('never caches a credential past its expiry', async () => {
    const expiresAt = Date.now() + 300;
    const identity = identityStandIn(async () => ({ ...caller, expires_at: new Date(expiresAt).toISOString() }));
    const auth = createAuthenticator({ transport: identity.transport, broadcast: createLocalBroadcast(), ttlMs: 30_000, max: 10 });
    await auth.authenticate('atk_key', 'r');
    await vi.waitUntil(() => Date.now() > expiresAt + 5, { timeout: 5_000, interval: 20 });
    await auth.authenticate('atk_key', 'r');
    expect(identity.calls).toHaveLength(2);
  });

  it('caches for the configured TTL or until expiry, whichever is sooner', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const expiring = (ms: number) => ({ ...caller, expires_at: new Date(now + ms).toISOString() });
    expect(cacheLifetime({ ...caller, expires_at: null }, 30_000, now)).toBe(30_000);
    expect(cacheLifetime(expiring(5_000), 30_000, now)).toBe(5_000);
    expect(cacheLifetime(expiring(60_000), 30_000, now)).toBe(30_000);
    expect(cacheLifetime(expiring(-10), 30_000, now)).toBe(1);
  });

  it('forgets a credential as soon as identity announces its revocation', async () => {
    const identity = identityStandIn(async () => caller);
    const broadcast = createLocalBroadcast();
    const auth = createAuthenticator({ transport: identity.transport, broadcast, ttlMs: 30_000, max: 10 });
    await auth.authenticate('ats_token', 'r');
    broadcast.publish(CREDENTIAL_REVOKED_SUBJECT, {
      credential_hashes: [credentialDigest('ats_token')],
      credential_ids: ['550e8400-e29b-41d4-a716-446655440001'],
    });
    await auth.authenticate('ats_token', 'r');
    expect(identity.calls).toHaveLength(2);
  });

  it('with a TTL of 0 asks identity every time, concurrent requests included', async () => {
    const identity = identityStandIn(async () => caller);
    const auth = createAuthenticator({ transport: identity.transport, broadcast: createLocalBroadcast(), ttlMs: 0, max: 10 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate('ats_token', 'r')));
    expect(answers.every((answer) => answer.user.id === caller.user.id)).toBe(true);
    expect(identity.calls).toHaveLength(20);
  });

  it('asks again when a revocation lands while a lookup is in flight', async () => {
    const broadcast = createLocalBroadcast();
    let revoked = false;
    const identity = identityStandIn(async () => {
      if (revoked) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid or expired credential' });
      // The revocation arrives while identity is still answering the first lookup.
      broadcast.publish(CREDENTIAL_REVOKED_SUBJECT, {
        credential_hashes: [credentialDigest('ats_token')],
        credential_ids: ['550e8400-e29b-41d4-a716-446655440001'],
      });
      revoked = true;
      return caller;
    });
    const auth = createAuthenticator({ transport: identity.transport, broadcast, ttlMs: 30_000, max: 10 });
    await expect(auth.authenticate('ats_token', 'r')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(identity.calls).toHaveLength(2);
  });

  it('refuses what cannot be a credential without asking identity', async () => {
    const identity = identityStandIn(async () => caller);
    const auth = createAuthenticator({ transport: identity.transport, broadcast: createLocalBroadcast(), ttlMs: 30_000, max: 10 });
    for (const credential of ['hello', `ats_${'x'.repeat(600)}`]) {
      await expect(auth.authenticate(credential, 'r')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(identity.calls).toHaveLength(0);
  });
});
