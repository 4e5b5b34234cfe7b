import { afterCursor, callerId, forUpdate, notFound, toPage } from '@atrium/service-runtime';
import type { ServiceContext } from '@atrium/service-runtime';
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

/**
 * The projects a new key is scoped to, each one the creator is a member of: asked of projects
 * (which owns memberships) for all of them at once. Not a member, or no such project: 404, as
 * for any project the caller is not in. Only membership is checked here: the key acts with its
 * owner's role of the moment wherever roles are enforced (service-runtime's scope.ts).
 */
async function scopedProjects(ctx: ServiceContext, projectIds: readonly string[] | undefined): Promise<string[] | null> {
  if (!projectIds) return null;
  const unique = [...new Set(projectIds)];
  const contexts = await Promise.all(unique.map((id) => ctx.services.projects.memberships.context({ project_id: id })));
  if (contexts.some((context) => context.role === null)) throw notFound('Project');
  return unique;
}

export const createApiKey = (): Handler<'apiKeys', 'create'> => async (input, ctx) => {
  const projectIds = await scopedProjects(ctx, input.project_ids);
  const key = newCredential(API_KEY_PREFIX);
  const apiKey = ctx.em.create(ApiKey, {
    user: callerId(ctx),
    name: input.name,
    prefix: key.slice(0, 12),
    keyHash: credentialHash(key),
    expiresAt: input.expires_at ? new Date(input.expires_at) : null,
    projectIds,
    access: input.access ?? 'write',
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
