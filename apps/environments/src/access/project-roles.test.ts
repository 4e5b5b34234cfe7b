import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MEMBERSHIP_CHANGED_SUBJECT } from '@atrium/contract';
import type { ProjectRole } from '@atrium/contract';
import { createLocalBroadcast } from '@atrium/nats-trpc';
import type { ServiceContext } from '@atrium/service-runtime';
import { createProjectRoles } from './project-roles.js';

/** projects' answers, counted; `hold()` keeps the next answers back until the function it returns is called. */
function fakeProjects(initial: Record<string, ProjectRole | null>) {
  let gate: Promise<void> | undefined;
  const state = {
    calls: 0,
    roles: { ...initial },
    hold() {
      let open!: () => void;
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
  };
  const ask = async (projectId: string) => {
    state.calls++;
    // The answer is read now, as projects would; it arrives once the gate opens.
    const answer = state.roles[projectId] ?? null;
    await gate;
    return { role: answer };
  };
  const ctx = (userId: string) =>
    ({
      meta: { requestId: 'test', caller: { userId, credentialId: 'c' } },
      services: { projects: { memberships: { role: ({ project_id }: { project_id: string }) => ask(project_id) } } },
    }) as unknown as ServiceContext;
  return { state, ctx };
}

describe('the role cache', () => {
  it('asks projects once per (project, user) within the TTL, and never caches a non-member', async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    const { state, ctx } = fakeProjects({ [project]: 'member' });
    const roles = createProjectRoles({ broadcast: createLocalBroadcast(), ttlMs: 60_000, max: 100 });
    const user = ctx(randomUUID());
    for (let i = 0; i < 5; i++) expect(await roles.resolve(user, project)).toEqual({ role: 'member' });
    expect(state.calls).toBe(1);
    expect(await roles.resolve(user, other)).toBeNull();
    expect(await roles.resolve(user, other)).toBeNull();
    expect(state.calls).toBe(3);
  });

  it('forgets a user at once when projects announces a change to them, and a whole project when it names no user', async () => {
    const project = randomUUID();
    const { state, ctx } = fakeProjects({ [project]: 'admin' });
    const broadcast = createLocalBroadcast();
    const roles = createProjectRoles({ broadcast, ttlMs: 60_000, max: 100 });
    const [ada, bob] = [randomUUID(), randomUUID()];
    await roles.resolve(ctx(ada), project);
    await roles.resolve(ctx(bob), project);
    state.roles[project] = 'viewer';
    broadcast.publish(MEMBERSHIP_CHANGED_SUBJECT, { project_id: project, user_id: ada });
    expect(await roles.resolve(ctx(ada), project)).toEqual({ role: 'viewer' });
    expect(await roles.resolve(ctx(bob), project)).toEqual({ role: 'admin' });
    state.roles[project] = null;
    broadcast.publish(MEMBERSHIP_CHANGED_SUBJECT, { project_id: project });
    expect(await roles.resolve(ctx(ada), project)).toBeNull();
    expect(await roles.resolve(ctx(bob), project)).toBeNull();
  });

  it('never stores an answer asked for before a change arrived', async () => {
    const project = randomUUID();
    const { state, ctx } = fakeProjects({ [project]: 'owner' });
    const broadcast = createLocalBroadcast();
    const roles = createProjectRoles({ broadcast, ttlMs: 60_000, max: 100 });
    const user = ctx(randomUUID());
    const release = state.hold();
    const inFlight = roles.resolve(user, project);
    // The project is deleted while projects' answer ("owner") is on its way.
    state.roles[project] = null;
    broadcast.publish(MEMBERSHIP_CHANGED_SUBJECT, { project_id: project });
    release();
    // The call that was in flight asked again; nothing stale was kept for the next one either.
    expect(await inFlight).toBeNull();
    expect(await roles.resolve(user, project)).toBeNull();
  });
});
