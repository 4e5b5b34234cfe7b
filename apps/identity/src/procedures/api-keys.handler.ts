import { afterCursor, callerId, forUpdate, notFound, toPage } from '@atrium/service-runtime';
import { ApiKey } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { toApiKeyDto } from '../dto.js';
import { API_KEY_PREFIX, credentialHash, newCredential } from '../security/tokens.js';
import { announceRevoked } from '../sessions.js';

export const listApiKeys = (): Handler<'apiKeys', 'list'> => async (input, ctx) => {
  const rows = await ctx.em.find(
    ApiKey,
    { user: callerId(ctx), ...afterCursor(input.cursor) },
    { orderBy: { createdAt: 'asc', id: 'asc' }, limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, toApiKeyDto);
};

export const createApiKey = (): Handler<'apiKeys', 'create'> => async (input, ctx) => {
  const key = newCredential(API_KEY_PREFIX);
  const apiKey = ctx.em.create(ApiKey, {
    user: callerId(ctx),
    name: input.name,
    prefix: key.slice(0, 12),
    keyHash: credentialHash(key),
    expiresAt: input.expires_at ? new Date(input.expires_at) : null,
  });
  await ctx.em.flush();
  return { ...toApiKeyDto(apiKey), key };
};

export const deleteApiKey =
  (deps: IdentityDeps): Handler<'apiKeys', 'delete'> =>
  async (input, ctx) => {
    // Locked: of concurrent deletes one removes the key, the others then find nothing (404).
    const apiKey = await ctx.em.findOne(ApiKey, { id: input.id, user: callerId(ctx) }, forUpdate(ctx.em));
    if (!apiKey) throw notFound('API key');
    ctx.em.remove(apiKey);
    ctx.afterCommit(() => announceRevoked(deps.broadcast, [{ id: apiKey.id, hash: apiKey.keyHash }]));
  };
