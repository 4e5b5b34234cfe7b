import { LRUCache } from 'lru-cache';
import { TRPCError } from '@trpc/server';
import {
  CREDENTIAL_REVOKED_SUBJECT,
  authenticatedCallerSchema,
  credentialDigest,
  credentialRevokedSchema,
  credentialScopeOf,
  looksLikeCredential,
} from '@atrium/contract';
import type { AuthenticatedCaller } from '@atrium/contract';
import type { Broadcast, Caller, ServiceTransport } from '@atrium/nats-trpc';

const INVALID_CREDENTIAL = 'Invalid or expired credential';
/** The reasons lru-cache aborts an in-flight fetch with. */
const FETCH_ABORTS = new Set(['deleted', 'evicted', 'replaced']);

export interface AuthenticatorOptions {
  transport: ServiceTransport;
  broadcast: Broadcast;
  ttlMs: number;
  max: number;
}

/** How long an answer may be cached: the configured TTL, cut short by the credential's expiry. */
export function cacheLifetime(caller: Pick<AuthenticatedCaller, 'expires_at'>, ttlMs: number, now = Date.now()): number {
  const left = caller.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(caller.expires_at) - now;
  // lru-cache reads a TTL of 0 as "forever": an answer about to expire lives 1 ms at most.
  return Math.max(1, Math.min(ttlMs, left));
}

/**
 * The caller a request's calls carry, signed into their assertions: the user, the credential,
 * and a scoped API key's limits (which every service then applies; see service-runtime's scope.ts).
 */
export function callerOf(caller: AuthenticatedCaller): Caller {
  const scope = credentialScopeOf(caller);
  return { userId: caller.user.id, credentialId: caller.credential_id, ...(scope && { scope }) };
}

export interface Authenticator {
  /** The caller behind a credential; rejects with UNAUTHORIZED when identity does. */
  authenticate(credential: string, requestId: string): Promise<AuthenticatedCaller>;
  close(): void;
}

/**
 * Asks identity who a credential belongs to, and remembers the answer briefly so the common
 * request costs no extra hop. Concurrent requests with one credential share one lookup;
 * failures are not cached; revocations broadcast by identity evict entries at once; no entry
 * outlives the credential's own `expires_at`.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const lookup = async (credential: string, requestId: string): Promise<AuthenticatedCaller> => {
    const answer = await options.transport.call({
      service: 'identity',
      path: 'credentials.authenticate',
      kind: 'query',
      input: { credential },
      meta: { requestId },
    });
    return authenticatedCallerSchema.parse(answer);
  };
  const cache = new LRUCache<string, AuthenticatedCaller, { credential: string; requestId: string }>({
    max: options.max,
    ttl: Math.max(options.ttlMs, 1),
    fetchMethod: async (_key, _stale, { context, options: entry }) => {
      const caller = await lookup(context.credential, context.requestId);
      // Never trusted past its expiry: the entry lives min(configured TTL, time left).
      entry.ttl = cacheLifetime(caller, options.ttlMs);
      return caller;
    },
  });
  const unsubscribe = options.broadcast.subscribe(CREDENTIAL_REVOKED_SUBJECT, (payload) => {
    const event = credentialRevokedSchema.safeParse(payload);
    if (!event.success) return;
    for (const hash of event.data.credential_hashes) cache.delete(hash);
  });

  return {
    async authenticate(credential, requestId) {
      // Not even shaped like one of ours: refuse without a hop (and without echoing identity's input rules).
      if (!looksLikeCredential(credential)) throw new TRPCError({ code: 'UNAUTHORIZED', message: INVALID_CREDENTIAL });
      if (options.ttlMs === 0) return lookup(credential, requestId);
      try {
        const caller = await cache.fetch(credentialDigest(credential), { context: { credential, requestId } });
        if (caller) return caller;
      } catch (error) {
        // lru-cache aborts a lookup whose entry is deleted (a revocation arrived), evicted or
        // replaced meanwhile: its answer may be stale, so ask again, uncached. Anything else stands.
        if (!(error instanceof Error && FETCH_ABORTS.has(error.message)) || error instanceof TRPCError) throw error;
      }
      return lookup(credential, requestId);
    },
    close: unsubscribe,
  };
}
