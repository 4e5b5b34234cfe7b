import { callerId, notFound } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toUserDto } from '../dto.js';

export const me = (): Handler<'auth', 'me'> => async (_input, ctx) => {
  const user = await ctx.em.findOne(User, { id: callerId(ctx) });
  if (!user) throw notFound('User');
  return toUserDto(user);
};
