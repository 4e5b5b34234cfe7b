import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { AtriumError, connectAtrium } from '@atrium/client';
import type { AtriumClient } from '@atrium/client';
import type { Project } from '@atrium/contract';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../../../examples/typed-client/', import.meta.url));

let system: TestSystem;
let apiKey: string;
beforeAll(async () => {
  system = await startTestSystem();
  const user = await newUser(system.api, 'client');
  const created = await system.api('POST', '/auth/api-keys', { token: user.token, body: { name: 'typed client' } });
  apiKey = created.body.data.key;
});
afterAll(() => system?.stop());

const connectWith = (credential: string) =>
  connectAtrium({ servers: system.natsUrl, pass: system.natsCredentials.client?.password, credential, timeoutMs: 20_000 });

describe('the typed client for TypeScript services', () => {
  it('calls public operations with contract types, for the user whose credential it holds', async () => {
    const atrium = await connectWith(apiKey);
    try {
      const created = await atrium.projects.create({ name: `typed-${Date.now()}`, color: '#00FF00' });
      expectTypeOf(created).toEqualTypeOf<Project>();
      await expect(atrium.projects.get({ id: created.id })).resolves.toEqual(created);
      const page = await atrium.projects.list({});
      expect(page.data.map((project) => project.id)).toContain(created.id);

      const error = await atrium.projects.get({ id: randomUUID() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AtriumError);
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      const invalid = await atrium.projects.create({ name: 'Not A Valid Name' }).catch((e: unknown) => e);
      expect(invalid).toMatchObject({ code: 'BAD_REQUEST', details: [expect.objectContaining({ path: 'name' })] });
    } finally {
      await atrium.close();
    }
  });

  it('has no internal operations, in its type or at run time', () => {
    expectTypeOf<AtriumClient>().not.toHaveProperty('credentials');
    expectTypeOf<AtriumClient>().not.toHaveProperty('memberships');
    expectTypeOf<AtriumClient>().not.toHaveProperty('health');
    expectTypeOf<AtriumClient['projects']>().toHaveProperty('get');
  });

  it('refuses a credential identity refuses, with UNAUTHORIZED', async () => {
    const atrium = await connectWith('atk_not-a-real-key');
    try {
      await expect(atrium.projects.list({})).rejects.toMatchObject({ name: 'AtriumError', code: 'UNAUTHORIZED' });
    } finally {
      await atrium.close();
    }
  });

  it('runs the example in examples/, compiled, against the stack', { timeout: 180_000 }, async () => {
    await mkdir(join(EXAMPLE, 'dist'), { recursive: true });
    // Inside the example's folder, so its package.json ("type": "module") applies to the output.
    const out = await mkdtemp(join(EXAMPLE, 'dist', 'test-'));
    try {
      await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json', '--outDir', out], { cwd: EXAMPLE });
      const { stdout } = await run('pnpm', ['exec', 'tsx', '--conditions=@atrium/source', join(out, 'main.js')], {
        cwd: EXAMPLE,
        env: {
          ...process.env,
          NATS_URL: system.natsUrl,
          ATRIUM_CLIENT_NATS_PASSWORD: system.natsCredentials.client?.password,
          ATRIUM_API_KEY: apiKey,
        },
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({
        created: expect.stringMatching(/^example-/),
        readBack: true,
        missing: 'NOT_FOUND 404',
      });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
