import { DomainError, callerId, notFound } from '@atrium/service-runtime';
import { Session, User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { announceRevoked } from '../sessions.js';

/**
 * Changes the name and/or the password. A new password needs the current one, and signs out
 * every other session of the user (the one making the change stays signed in).
 */
export const updateMe =
  (deps: IdentityDeps): Handler<'auth', 'updateMe'> =>
  async (input, ctx) => {
    const userId = callerId(ctx);
    const user = await ctx.em.findOne(User, { id: userId });
    if (!user) throw notFound('User');
    if (input.name !== undefined) user.name = input.name;
    let revokedHashes: string[] = [];
    if (input.password !== undefined) {
      if (!(await deps.passwords.verify(input.current_password ?? '', user.passwordHash))) {
        throw new DomainError('BAD_REQUEST', 'The current password is incorrect', [
          { path: 'current_password', message: 'is incorrect' },
        ]);
      }
      user.passwordHash = await deps.passwords.hash(input.password);
      const others = await ctx.em.find(Session, { user: userId, id: { $ne: ctx.meta.caller!.credentialId } });
      revokedHashes = others.map((session) => session.tokenHash);
      for (const session of others) ctx.em.remove(session);
    }
    await ctx.em.flush();
    announceRevoked(deps.broadcast, revokedHashes);
    return toUserDto(user);
  };
