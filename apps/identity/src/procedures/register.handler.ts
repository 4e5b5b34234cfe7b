import { randomUUID } from 'node:crypto';
import { DomainError, conflict } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IDENTITY_SCHEMA } from '../db.js';
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
    // The unique index on e-mail is the one check, races included — answered by `on conflict do
    // nothing`, not by an error: PostgreSQL logs a failed statement with its values, and this one
    // carries the password's hash.
    const id = randomUUID();
    const now = new Date();
    const inserted = await em.execute<{ id: string }[]>(
      `insert into "${IDENTITY_SCHEMA}"."users" (id, email, name, password_hash, created_at, updated_at) values (?, ?, ?, ?, ?, ?)
       on conflict do nothing returning id`,
      [id, input.email, input.name ?? null, await deps.passwords.hash(input.password), now, now],
    );
    if (inserted.length === 0) throw conflict(EMAIL_TAKEN);
    const user = await em.findOneOrFail(User, { id });
    const token = startSession(em, user, deps.sessionTtlMs);
    await em.flush();
    return { user: toUserDto(user), token };
  };
