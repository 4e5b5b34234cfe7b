import { DomainError, callerId, forUpdate, notFound } from '@atrium/service-runtime';
import { ApiKey, Session, User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { checkPassword } from '../security/password-attempts.js';
import { announceRevoked } from '../sessions.js';

/**
 * Changes the name and/or the password. A new password needs the current one and revokes
 * every other credential of the user — the other sessions and every API key — so whoever held
 * a stolen session cannot keep access through a key they made with it. The credential making
 * the change stays valid.
 */
export const updateMe =
  (deps: IdentityDeps): Handler<'auth', 'updateMe'> =>
  async (input, ctx) => {
    const userId = callerId(ctx);
    const current = ctx.meta.caller!.credentialId;
    // Locked: concurrent changes of one account apply one after the other.
    const user = await ctx.em.findOne(User, { id: userId }, forUpdate(ctx.em));
    if (!user) throw notFound('User');
    if (input.name !== undefined) user.name = input.name;
    if (input.password !== undefined) {
      if (!(await checkPassword(ctx, deps.passwords, user.email, input.current_password ?? '', user.passwordHash))) {
        throw new DomainError('BAD_REQUEST', 'The current password is incorrect', [{ path: 'current_password', message: 'is incorrect' }]);
      }
      user.passwordHash = await deps.passwords.hash(input.password);
      const sessions = await ctx.em.find(Session, { user: userId, id: { $ne: current } });
      const keys = await ctx.em.find(ApiKey, { user: userId, id: { $ne: current } });
      for (const credential of [...sessions, ...keys]) ctx.em.remove(credential);
      const revoked = [...sessions.map((session) => session.tokenHash), ...keys.map((key) => key.keyHash)];
      ctx.afterCommit(() => announceRevoked(deps.broadcast, revoked));
    }
    await ctx.em.flush();
    return toUserDto(user);
  };
