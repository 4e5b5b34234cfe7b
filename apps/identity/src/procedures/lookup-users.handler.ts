import { User } from '../entities/index.js';
import type { Handler } from '../deps.js';

/** Internal: e-mail and name of up to a page of users in one query; ids that match no user are left out. */
export const lookupUsers = (): Handler<'users', 'lookup'> => async (input, ctx) => {
  const users = await ctx.em.find(User, { id: { $in: [...new Set(input.ids)] } }, { fields: ['id', 'email', 'name'] });
  return { users: users.map((user) => ({ id: user.id, email: user.email, name: user.name ?? null })) };
};
