import { unauthorized } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { startSession } from '../sessions.js';

export const login =
  (deps: IdentityDeps): Handler<'auth', 'login'> =>
  async (input, { em }) => {
    const user = await em.findOne(User, { email: input.email });
    // Verify against a decoy when the e-mail is unknown: same answer, same time.
    const valid = await deps.passwords.verify(input.password, user?.passwordHash ?? (await deps.passwords.decoy()));
    if (!user || !valid) throw unauthorized('Invalid e-mail or password');
    const token = startSession(em, user, deps.sessionTtlMs);
    await em.flush();
    return { user: toUserDto(user), token };
  };
