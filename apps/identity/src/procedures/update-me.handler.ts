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
const wrongCurrentPassword = () =>
  new DomainError('BAD_REQUEST', 'The current password is incorrect', [{ path: 'current_password', message: 'is incorrect' }]);

export const updateMe =
  (deps: IdentityDeps): Handler<'auth', 'updateMe'> =>
  async (input, ctx) => {
    const userId = callerId(ctx);
    const current = ctx.meta.caller!.credentialId;
    let verifiedHash: string | undefined;
    if (input.password !== undefined) {
      // First, before anything changes: checking commits the attempt's count (see checkPassword).
      const found = await ctx.em.findOne(User, { id: userId }, { fields: ['email', 'passwordHash'] });
      if (!found) throw notFound('User');
      verifiedHash = found.passwordHash;
      if (!(await checkPassword(ctx, deps.passwords, found.email, input.current_password ?? '', verifiedHash))) {
        throw wrongCurrentPassword();
      }
    }
    // Locked: concurrent changes of one account apply one after the other.
    const user = await ctx.em.findOne(User, { id: userId }, { ...forUpdate(ctx.em), refresh: true });
    if (!user) throw notFound('User');
    if (input.name !== undefined) user.name = input.name;
    if (input.password !== undefined) {
      // A concurrent change replaced the password just verified: it is not the current one any more.
      if (user.passwordHash !== verifiedHash) throw wrongCurrentPassword();
      user.passwordHash = await deps.passwords.hash(input.password);
      const sessions = await ctx.em.find(Session, { user: userId, id: { $ne: current } });
      const keys = await ctx.em.find(ApiKey, { user: userId, id: { $ne: current } });
      for (const credential of [...sessions, ...keys]) ctx.em.remove(credential);
      const revoked = [
        ...sessions.map((session) => ({ id: session.id, hash: session.tokenHash })),
        ...keys.map((key) => ({ id: key.id, hash: key.keyHash })),
      ];
      ctx.afterCommit(() => announceRevoked(deps.broadcast, revoked));
    }
    await ctx.em.flush();
    return toUserDto(user);
  };
