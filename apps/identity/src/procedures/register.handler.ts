import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError, conflict } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invite, User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toUserDto } from '../dto.js';
import { startSession } from '../sessions.js';

const EMAIL_TAKEN = 'An account with this e-mail already exists';

/** Invite-only registration: an e-mail with a pending, unexpired invite, or the very first user. */
async function mayRegister(em: EntityManager, email: string): Promise<boolean> {
  if (await em.count(Invite, { email, status: 'pending', expiresAt: { $gt: new Date() } })) return true;
  return (await em.count(User, {})) === 0;
}

export const register =
  (deps: IdentityDeps): Handler<'auth', 'register'> =>
  async (input, { em }) => {
    if (deps.registration === 'invite-only' && !(await mayRegister(em, input.email))) {
      throw new DomainError('FORBIDDEN', 'Registration is by invitation only: ask a project admin to invite this e-mail address');
    }
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
