import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { defineService, query } from '@atrium/contract';
import type { Operation, ProjectRole } from '@atrium/contract';
import type { Caller } from '@atrium/nats-trpc';
import { authorizeProjectRole, createLogger, createServiceContext, implementService, refuseScopedKey } from '../src/index.js';

const PROJECT = '550e8400-e29b-41d4-a716-446655440000';
const OTHER = '550e8400-e29b-41d4-a716-4466554400ff';
const user = { userId: '550e8400-e29b-41d4-a716-446655440001', credentialId: 'c' };

const input = z.strictObject({ id: z.uuid() });
const contract = defineService('projects', {
  things: {
    read: query({
      input,
      output: z.object({}),
      access: { action: 'project.read', projectId: 'id' },
      internal: { callers: ['gateway'], auth: 'user' },
    }),
    // A query with a write action, as `icons.authorize`: a read-only key is refused it too.
    authorizeWrite: query({
      input,
      output: z.object({}),
      access: { action: 'project.icon', projectId: 'id' },
      internal: { callers: ['gateway'], auth: 'user' },
    }),
  },
});

const root = { fork: () => root, isInTransaction: () => false } as unknown as EntityManager;
const callerOf = (router: ReturnType<typeof implementService<typeof contract>>, caller: Caller) =>
  router.createCaller(
    createServiceContext({
      meta: { requestId: 'test', caller },
      app: 'gateway',
      em: root,
      log: createLogger('test', 'silent'),
      services: () => ({}) as never,
    }),
  );

describe('a scoped API key, where roles are enforced', () => {
  for (const mode of ['resolver', 'in-handlers'] as const) {
    describe(mode, () => {
      let asked: string[] = [];
      let role: ProjectRole | null = 'owner';
      const router =
        mode === 'resolver'
          ? implementService(
              contract,
              { things: { read: async () => ({}), authorizeWrite: async () => ({}) } },
              {
                projectRoles: async (_ctx, projectId) => {
                  asked.push(projectId);
                  return role ? { role } : null;
                },
              },
            )
          : implementService(
              contract,
              {
                things: {
                  read: async (i, ctx) => {
                    asked.push(i.id);
                    authorizeProjectRole(ctx, role ? { role } : null);
                    return {};
                  },
                  authorizeWrite: async (i, ctx) => {
                    asked.push(i.id);
                    authorizeProjectRole(ctx, role ? { role } : null);
                    return {};
                  },
                },
              },
              { projectRoles: 'in-handlers' },
            );
      const reset = (next: ProjectRole | null) => {
        asked = [];
        role = next;
      };

      it('answers 404 for a project outside the key, before anyone looks the role up', async () => {
        reset('owner');
        const scoped = callerOf(router, { ...user, scope: { projects: [PROJECT] } });
        await expect(scoped.things.read({ id: OTHER })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(asked).toEqual([]);
        await expect(scoped.things.read({ id: PROJECT })).resolves.toEqual({});
        // A UUID written in upper case is the same project.
        await expect(scoped.things.read({ id: PROJECT.toUpperCase() })).resolves.toEqual({});
      });

      it("applies the owner's role of the moment: a non-member's key is 404 in its own project", async () => {
        reset(null);
        const scoped = callerOf(router, { ...user, scope: { projects: [PROJECT] } });
        await expect(scoped.things.read({ id: PROJECT })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        reset('viewer');
        await expect(scoped.things.authorizeWrite({ id: PROJECT })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      });

      it('refuses a read-only key everything but reads (403), a non-member still 404', async () => {
        reset('owner');
        const readOnly = callerOf(router, { ...user, scope: { readOnly: true } });
        await expect(readOnly.things.read({ id: PROJECT })).resolves.toEqual({});
        await expect(readOnly.things.authorizeWrite({ id: PROJECT })).rejects.toMatchObject({ code: 'FORBIDDEN' });
        reset(null);
        await expect(readOnly.things.authorizeWrite({ id: PROJECT })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });
    });
  }
});

describe('a scoped API key, on operations that are not project-scoped', () => {
  const op = (kind: 'query' | 'mutation', scopedKeys?: Operation['scopedKeys']): Operation =>
    ({
      kind,
      input,
      output: z.object({}),
      ...(scopedKeys && { scopedKeys }),
      rest: { method: 'POST', path: '/x', status: 200, auth: 'user', summary: 'x', tags: ['Auth'] },
    }) as Operation;
  const projectKey = { requestId: 'r', caller: { ...user, scope: { projects: [PROJECT] } } };
  const readKey = { requestId: 'r', caller: { ...user, scope: { readOnly: true as const } } };
  const full = { requestId: 'r', caller: user };
  const refused = (operation: Operation, meta: typeof full) => {
    try {
      refuseScopedKey(operation, meta);
      return false;
    } catch (error) {
      expect(error).toMatchObject({ code: 'FORBIDDEN' });
      return true;
    }
  };

  it('refuses every scoped key unless the contract says otherwise', () => {
    expect([projectKey, readKey, full].map((meta) => refused(op('query'), meta))).toEqual([true, true, false]);
    expect([projectKey, readKey, full].map((meta) => refused(op('mutation'), meta))).toEqual([true, true, false]);
  });

  it('follows `scopedKeys`: any, all-projects, filtered', () => {
    expect([projectKey, readKey].map((meta) => refused(op('mutation', 'any'), meta))).toEqual([false, false]);
    expect([projectKey, readKey].map((meta) => refused(op('mutation', 'all-projects'), meta))).toEqual([true, true]);
    expect([projectKey, readKey].map((meta) => refused(op('query', 'all-projects'), meta))).toEqual([true, false]);
    expect([projectKey, readKey].map((meta) => refused(op('query', 'filtered'), meta))).toEqual([false, false]);
    expect([projectKey, readKey].map((meta) => refused(op('mutation', 'filtered'), meta))).toEqual([false, true]);
  });
});
