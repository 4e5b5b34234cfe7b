import type { CallSigner } from '@atrium/nats-trpc';
import type { Handler } from '../deps.js';
import { authenticate } from './authenticate.handler.js';

/**
 * How long a client's session assertion is good for: as long as the gateway trusts a credential
 * without asking again (AUTH_CACHE_TTL_MS), so a revoked credential stops working about as soon
 * through a client as through the REST API. The client refreshes it before it runs out.
 */
export const SESSION_ASSERTION_TTL_MS = 30_000;

/** Internal: a client trades a credential for a session assertion signed by identity. */
export const exchange =
  (signer: CallSigner): Handler<'credentials', 'exchange'> =>
  async (input, ctx) => {
    const caller = await authenticate()(input, ctx);
    const expiresAt = Date.now() + SESSION_ASSERTION_TTL_MS;
    return {
      assertion: signer.signSession({ userId: caller.user.id, credentialId: caller.credential_id }, expiresAt),
      expires_at: new Date(expiresAt).toISOString(),
    };
  };
