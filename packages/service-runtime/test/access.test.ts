import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { defineService, query } from '@atrium/contract';
import type { ProjectRole } from '@atrium/contract';
import { authorizeProjectRole, createLogger, createServiceContext, implementService } from '../src/index.js';

const contract = defineService('projects', {
  things: {
    get: query({
      input: z.strictObject({ id: z.uuid() }),
      output: z.object({}),
      access: { action: 'project.read', projectId: 'id' },
      internal: { callers: ['gateway'], auth: 'user' },
    }),
  },
});

describe('implementService', () => {
  it('refuses to build a project-scoped operation without a way to learn roles', () => {
    const handlers = { things: { get: async () => ({}) } };
    expect(() => implementService(contract, handlers)).toThrow(/projects\.things\.get is project-scoped/);
    expect(() => implementService(contract, handlers, { projectRoles: async () => null })).not.toThrow();
  });
});

describe("a service whose handlers authorize (projectRoles: 'in-handlers')", () => {
  const meta = { requestId: 'test', caller: { userId: '550e8400-e29b-41d4-a716-446655440001', credentialId: 'c' } };
  const root = { fork: () => root, isInTransaction: () => false } as unknown as EntityManager;
  const callerOf = (router: ReturnType<typeof implementService<typeof contract>>) =>
    router.createCaller(
      createServiceContext({ meta, app: 'gateway', em: root, log: createLogger('test', 'silent'), services: () => ({}) as never }),
    );
  const input = { id: '550e8400-e29b-41d4-a716-446655440000' };

  it("applies the operation's role table to the role the handler found: 404 for none, the answer for a member", async () => {
    const found: { role: ProjectRole } | null = { role: 'viewer' };
    const router = implementService(
      contract,
      {
        things: {
          get: async (_input, ctx) => {
            authorizeProjectRole(ctx, found);
            return {};
          },
        },
      },
      { projectRoles: 'in-handlers' },
    );
    await expect(callerOf(router).things.get(input)).resolves.toEqual({});
    const stranger = implementService(
      contract,
      {
        things: {
          get: async (_input, ctx) => {
            authorizeProjectRole(ctx, null);
            return {};
          },
        },
      },
      { projectRoles: 'in-handlers' },
    );
    await expect(callerOf(stranger).things.get(input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to answer for a handler that never authorized', async () => {
    const router = implementService(contract, { things: { get: async () => ({}) } }, { projectRoles: 'in-handlers' });
    await expect(callerOf(router).things.get(input)).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
