import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineService, query } from '@atrium/contract';
import { implementService } from '../src/index.js';

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
