import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { startSession } from '../sessions.js';

const EMAIL_TAKEN = 'An account with this e-mail already exists';

export const register =
  (deps: IdentityDeps): Handler<'auth', 'register'> =>
  async (input, { em }) => {
    const user = em.create(User, { email: input.email, name: input.name ?? null, passwordHash: await deps.passwords.hash(input.password) });
    const token = startSession(em, user, deps.sessionTtlMs);
    try {
      await em.flush();
    } catch (error) {
      // The unique index on e-mail is the one check, races included.
      if (error instanceof UniqueConstraintViolationException) throw conflict(EMAIL_TAKEN);
      throw error;
    }
    return { user: toUserDto(user), token };
  };
