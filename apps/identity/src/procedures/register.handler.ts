import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { hashPassword } from '../security/passwords.js';
import { startSession } from '../sessions.js';

const EMAIL_TAKEN = 'An account with this e-mail already exists';

export const register =
  (deps: IdentityDeps): Handler<'auth', 'register'> =>
  async (input, { em }) => {
    if (await em.count(User, { email: input.email })) throw conflict(EMAIL_TAKEN);
    const user = em.create(User, { email: input.email, name: input.name ?? null, passwordHash: await hashPassword(input.password) });
    const token = startSession(em, user, deps.sessionTtlMs);
    try {
      await em.flush();
    } catch (error) {
      // Two registrations of one e-mail racing: the unique index decides.
      if (error instanceof UniqueConstraintViolationException) throw conflict(EMAIL_TAKEN);
      throw error;
    }
    return { user: toUserDto(user), token };
  };
