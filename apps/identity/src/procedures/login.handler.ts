import { unauthorized } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { checkPassword } from '../security/password-attempts.js';
import { startSession } from '../sessions.js';

export const login =
  (deps: IdentityDeps): Handler<'auth', 'login'> =>
  async (input, ctx) => {
    const user = await ctx.em.findOne(User, { email: input.email });
    // An unknown e-mail is verified against a decoy: same answer, same time.
    if (!(await checkPassword(ctx, deps.passwords, input.email, input.password, user?.passwordHash)) || !user) {
      throw unauthorized('Invalid e-mail or password');
    }
    const token = startSession(ctx.em, user, deps.sessionTtlMs);
    await ctx.em.flush();
    return { user: toUserDto(user), token };
  };
