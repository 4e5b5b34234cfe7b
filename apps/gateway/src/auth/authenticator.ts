import { LRUCache } from 'lru-cache';
import { CREDENTIAL_REVOKED_SUBJECT, authenticatedCallerSchema, credentialRevokedSchema } from '@atrium/contract';
import type { AuthenticatedCaller } from '@atrium/contract';
import type { Broadcast, ServiceTransport } from '@atrium/nats-trpc';
import { credentialCacheKey } from './credentials.js';

export interface AuthenticatorOptions {
  transport: ServiceTransport;
  broadcast: Broadcast;
  ttlMs: number;
  max: number;
}

export interface Authenticator {
  /** The caller behind a credential; rejects with UNAUTHORIZED when identity does. */
  authenticate(credential: string, requestId: string): Promise<AuthenticatedCaller>;
  close(): void;
}

/**
 * Asks identity who a credential belongs to, and remembers the answer briefly so the common
 * request costs no extra hop. Concurrent requests with one credential share one lookup;
 * failures are not cached; revocations broadcast by identity evict entries at once.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const cache = new LRUCache<string, AuthenticatedCaller, { credential: string; requestId: string }>({
    max: options.max,
    ttl: Math.max(options.ttlMs, 1),
    fetchMethod: async (_key, _stale, { context }) => {
      const answer = await options.transport.call({
        service: 'identity',
        path: 'credentials.authenticate',
        kind: 'query',
        input: { credential: context.credential },
        meta: { requestId: context.requestId },
      });
      return authenticatedCallerSchema.parse(answer);
    },
  });
  const unsubscribe = options.broadcast.subscribe(CREDENTIAL_REVOKED_SUBJECT, (payload) => {
    const event = credentialRevokedSchema.safeParse(payload);
    if (event.success) event.data.credential_hashes.forEach((hash) => cache.delete(hash));
  });

  return {
    async authenticate(credential, requestId) {
      const key = credentialCacheKey(credential);
      if (options.ttlMs === 0) cache.delete(key);
      const caller = await cache.fetch(key, { context: { credential, requestId } });
      if (!caller) throw new Error('credential lookup returned nothing');
      return caller;
    },
    close: unsubscribe,
  };
}
