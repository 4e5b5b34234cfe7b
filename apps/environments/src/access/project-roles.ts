import { LRUCache } from 'lru-cache';
import { MEMBERSHIP_CHANGED_SUBJECT, membershipChangedSchema } from '@atrium/contract';
import type { ProjectRole } from '@atrium/contract';
import type { Broadcast } from '@atrium/nats-trpc';
import type { ProjectRoleResolver, ServiceContext } from '@atrium/service-runtime';

export interface ProjectRolesOptions {
  /** Where projects announces membership changes (NATS, or the in-process bus). */
  broadcast: Broadcast;
  /** How long a role is trusted without asking projects again; 0 asks every time. */
  ttlMs: number;
  max: number;
}

export interface ProjectRoles {
  resolve: ProjectRoleResolver;
  /** Forgets every role (the notifications may have been missed: after a reconnect, say). */
  clear(): void;
  close(): void;
}

/** The reasons lru-cache aborts an in-flight fetch with: its answer may be stale. */
const FETCH_ABORTS = new Set(['deleted', 'evicted', 'replaced']);
const cacheKey = (projectId: string, userId: string) => `${projectId}:${userId}`;

/**
 * The caller's role in a project, without a round trip per request. environments does not own
 * memberships: on a miss it asks projects (`projects.memberships.role`, so a project created a
 * moment ago is usable at once) and keeps the answer for `ttlMs` in this instance's memory.
 * Projects broadcasts every membership change after its commit; each instance drops the entries
 * it names at once (a lookup in flight at that moment is aborted and asked again, so a stale
 * answer is never stored). Non-members are not cached: being added to a project takes effect
 * at once, and random project ids cannot fill the cache.
 */
export function createProjectRoles(options: ProjectRolesOptions): ProjectRoles {
  const lookup = async (ctx: ServiceContext, projectId: string) =>
    (await ctx.services.projects.memberships.role({ project_id: projectId })).role;

  // Bumped by every change notification. An answer is stored only if no change arrived while it
  // was asked for (lru-cache's own abort covers a deleted key, not a project-wide change).
  let generation = 0;
  const freshLookup = async (ctx: ServiceContext, projectId: string) => {
    for (let attempt = 1; ; attempt++) {
      const started = generation;
      const role = await lookup(ctx, projectId);
      // Past a few attempts under a storm of changes, keep the last answer: the TTL bounds it.
      if (started === generation || attempt === 3) return role;
    }
  };

  const cache = new LRUCache<string, ProjectRole, ServiceContext>({
    max: options.max,
    ttl: Math.max(options.ttlMs, 1),
    // `undefined` is not stored: a non-member is asked about again next time.
    fetchMethod: async (key, _stale, { context }) => (await freshLookup(context, key.slice(0, key.indexOf(':')))) ?? undefined,
  });

  const unsubscribe = options.broadcast.subscribe(MEMBERSHIP_CHANGED_SUBJECT, (payload) => {
    const change = membershipChangedSchema.safeParse(payload);
    if (!change.success) return;
    const { project_id: projectId, user_id: userId } = change.data;
    generation++;
    if (userId) {
      cache.delete(cacheKey(projectId, userId));
      return;
    }
    const prefix = `${projectId}:`;
    for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
  });

  const resolveRole = async (ctx: ServiceContext, projectId: string): Promise<ProjectRole | null> => {
    const userId = ctx.meta.caller?.userId;
    if (!userId) return null;
    if (options.ttlMs === 0) return lookup(ctx, projectId);
    try {
      return (await cache.fetch(cacheKey(projectId, userId), { context: ctx })) ?? null;
    } catch (error) {
      // Aborted because a change arrived while asking: ask again, uncached. Anything else stands.
      if (error instanceof Error && FETCH_ABORTS.has(error.message)) return lookup(ctx, projectId);
      throw error;
    }
  };

  return {
    async resolve(ctx, projectId) {
      const role = await resolveRole(ctx, projectId);
      return role ? { role } : null;
    },
    clear: () => cache.clear(),
    close: unsubscribe,
  };
}
