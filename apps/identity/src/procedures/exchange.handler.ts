import type { CallSigner } from '@atrium/nats-trpc';
import type { Handler } from '../deps.js';
import { authenticate } from './authenticate.handler.js';

/**
 * The longest a client's session assertion is good for; never past its credential's own
 * expiry. The services believe it until then without asking anyone, so this bounds how long a
 * revoked credential's assertion still works at the services other than identity (identity
 * itself checks the credential on every call a client makes: see client-sessions.ts). The
 * client renews it 5 s before it runs out.
 */
export const SESSION_ASSERTION_TTL_MS = 15_000;

/** Internal: a client trades a credential for a session assertion signed by identity. */
export const exchange =
  (signer: CallSigner): Handler<'credentials', 'exchange'> =>
  async (input, ctx) => {
    const caller = await authenticate()(input, ctx);
    // An assertion never outlives its credential: a key expiring sooner ends its session then.
    const credentialExpiry = caller.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(caller.expires_at);
    const expiresAt = Math.min(Date.now() + SESSION_ASSERTION_TTL_MS, credentialExpiry);
    return {
      assertion: signer.signSession({ userId: caller.user.id, credentialId: caller.credential_id }, expiresAt),
      expires_at: new Date(expiresAt).toISOString(),
    };
  };
