import { callerId, forUpdate } from '@atrium/service-runtime';
import { ApiKey, Session } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { announceRevoked } from '../sessions.js';

/** Revokes the credential the request was made with (a session, or an API key used to log out). */
export const logout =
  (deps: IdentityDeps): Handler<'auth', 'logout'> =>
  async (_input, ctx) => {
    const userId = callerId(ctx);
    const credentialId = ctx.meta.caller!.credentialId;
    const session = await ctx.em.findOne(Session, { id: credentialId, user: userId }, forUpdate(ctx.em));
    const key = session ? null : await ctx.em.findOne(ApiKey, { id: credentialId, user: userId }, forUpdate(ctx.em));
    const revoked = session ?? key;
    if (!revoked) return;
    ctx.em.remove(revoked);
    ctx.afterCommit(() =>
      announceRevoked(deps.broadcast, [session ? { id: session.id, hash: session.tokenHash } : { id: key!.id, hash: key!.keyHash }]),
    );
  };
