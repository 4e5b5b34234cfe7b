import { SESSION_ASSERTION_TTL_MS, credentialScopeOf } from '@atrium/contract';
import type { CallSigner } from '@atrium/nats-trpc';
import type { Handler } from '../deps.js';
import { authenticate } from './authenticate.handler.js';

/**
 * Internal: a client trades a credential for a session assertion signed by identity, good for
 * SESSION_ASSERTION_TTL_MS and never past the credential's own expiry. The services believe it
 * without asking anyone; a revocation reaches them as a notification (see service-runtime's
 * revocations.ts), and identity itself checks the credential on every client call
 * (client-sessions.ts). The client renews it 5 s before it runs out.
 */
export const exchange =
  (signer: CallSigner): Handler<'credentials', 'exchange'> =>
  async (input, ctx) => {
    const caller = await authenticate()(input, ctx);
    // An assertion never outlives its credential: a key expiring sooner ends its session then.
    const credentialExpiry = caller.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(caller.expires_at);
    const expiresAt = Math.min(Date.now() + SESSION_ASSERTION_TTL_MS, credentialExpiry);
    // A scoped key's limits are signed into the session, so a client is bound exactly as through the gateway.
    const scope = credentialScopeOf(caller);
    return {
      assertion: signer.signSession({ userId: caller.user.id, credentialId: caller.credential_id, ...(scope && { scope }) }, expiresAt),
      expires_at: new Date(expiresAt).toISOString(),
    };
  };
