import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { AtriumError, connectDeployer, createDeployerClient } from '@atrium/client';
import type { DeployerClient } from '@atrium/client';
import { inboxPrefix } from '@atrium/contract';
import type { AppName, ResolvedVariables } from '@atrium/contract';
import { exportPrivateKey } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { busAuth } from '@atrium/local-infra';
import type { BusIdentity } from '@atrium/local-infra';
import { connectNats } from '@atrium/service-runtime';
import { queryDatabase } from '@atrium/test-kit';
import { dotenvLine, toDotenv } from '../../../examples/deployer/dotenv.js';
import { refusal } from './support/bus.js';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * The deploy system (`deployer`): the one caller of `environments.variables.resolve`, which hands
 * it every variable of an environment with secrets decrypted. Over real NATS, with the bus
 * permissions infra/ ships, the deployer's own bus user and its own signing key.
 */
const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../../../examples/deployer/', import.meta.url));
const RESOLVE = 'svc.environments.v1.variables.resolve';

let system: TestSystem;
let owner: { token: string; id: string };
let projectId: string;
let environmentId: string;
const SECRET = `s3cr3t-${randomUUID()}`;
const TRICKY = `it's "quoted" $HOME\\path\nsecond line`;
const PLAIN = 'https://example.com/plain';
const open: NatsConnection[] = [];

/** The deployer's signing key as deployer.env carries it (this system made it, with every app's). */
const deployerKey = () => {
  const key = system.keys.deployer.signingKey!;
  return { signingKey: exportPrivateKey(key.privateKey), signingKeyId: key.kid };
};
const connectAsDeployer = () =>
  connectDeployer({ servers: system.natsUrl, pass: system.natsCredentials.deployer?.password, ...deployerKey(), timeoutMs: 20_000 });
const bus = async (identity: BusIdentity, inboxOwner: string = identity) => {
  const nc = await connectNats(system.natsUrl, identity, busAuth(system.natsCredentials, identity), inboxOwner);
  open.push(nc);
  return nc;
};
const put = (key: string, value: string, secret: boolean) =>
  system.api('PUT', `/projects/${projectId}/environments/${environmentId}/variables/${key}`, {
    token: owner.token,
    body: { value, secret },
  });

beforeAll(async () => {
  system = await startTestSystem();
  owner = await newUser(system.api, 'deployer-owner');
  projectId = (await system.api('POST', '/projects', { token: owner.token, body: { name: `deploy-${Date.now()}` } })).body.data.id;
  const environments = await system.api('GET', `/projects/${projectId}/environments`, { token: owner.token });
  environmentId = environments.body.data.find((environment: { is_default: boolean }) => environment.is_default).id;
  for (const [key, value, secret] of [
    ['DATABASE_PASSWORD', SECRET, true],
    ['PUBLIC_URL', PLAIN, false],
    ['TRICKY', TRICKY, true],
  ] as const) {
    expect((await put(key, value, secret)).status).toBe(200);
  }
});
afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await system?.stop();
});

describe('environments.variables.resolve', () => {
  it('answers the deployer every variable with its real value, secrets decrypted, in key order', async () => {
    const deployer = await connectAsDeployer();
    try {
      const resolved = await deployer.variables.resolve({ project_id: projectId, environment_id: environmentId });
      expectTypeOf(resolved).toEqualTypeOf<ResolvedVariables>();
      expect(resolved).toEqual({
        project_id: projectId,
        environment_id: environmentId,
        name: 'production',
        data: [
          { key: 'DATABASE_PASSWORD', value: SECRET, secret: true },
          { key: 'PUBLIC_URL', value: PLAIN, secret: false },
          { key: 'TRICKY', value: TRICKY, secret: true },
        ],
      });
    } finally {
      await deployer.close();
    }
    // REST still never returns a secret's value.
    const listed = await system.api('GET', `/projects/${projectId}/environments/${environmentId}/variables`, { token: owner.token });
    expect(listed.text).not.toContain(SECRET);
    expect(listed.body.data.find((variable: { key: string }) => variable.key === 'DATABASE_PASSWORD').value).toBeNull();
  });

  it('is NOT_FOUND for an unknown environment, or one of another project', async () => {
    const other = await newUser(system.api, 'deployer-other');
    const otherProject = (await system.api('POST', '/projects', { token: other.token, body: { name: `other-${Date.now()}` } })).body.data
      .id;
    const otherEnvironment = (await system.api('GET', `/projects/${otherProject}/environments`, { token: other.token })).body.data[0].id;
    const deployer = await connectAsDeployer();
    try {
      for (const input of [
        { project_id: projectId, environment_id: randomUUID() },
        { project_id: randomUUID(), environment_id: environmentId },
        { project_id: projectId, environment_id: otherEnvironment },
      ]) {
        const error = await deployer.variables.resolve(input).catch((e: unknown) => e);
        expect(error, JSON.stringify(input)).toBeInstanceOf(AtriumError);
        expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      }
      const invalid = await deployer.variables.resolve({ project_id: 'nope', environment_id: environmentId }).catch((e: unknown) => e);
      expect(invalid).toMatchObject({ code: 'BAD_REQUEST' });
    } finally {
      await deployer.close();
    }
  });

  it("is in the project's audit trail as variables_resolved: the key names and the caller, never a value", async () => {
    const deployer = await connectAsDeployer();
    try {
      await deployer.variables.resolve({ project_id: projectId, environment_id: environmentId });
    } finally {
      await deployer.close();
    }
    const trail = async () =>
      (await system.api('GET', `/projects/${projectId}/events?type=environments.v1.variables_resolved`, { token: owner.token })).body
        ?.data ?? [];
    await expect.poll(async () => (await trail()).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const [entry] = await trail();
    expect(entry).toMatchObject({
      type: 'environments.v1.variables_resolved',
      actor_id: null,
      data: {
        project_id: projectId,
        environment_id: environmentId,
        name: 'production',
        keys: ['DATABASE_PASSWORD', 'PUBLIC_URL', 'TRICKY'],
        caller: 'deployer',
      },
    });
    // No value anywhere: not in the API's answer, not in the stored audit rows, not in the outbox.
    const page = await system.api('GET', `/projects/${projectId}/events?limit=100`, { token: owner.token });
    expect(page.text).not.toContain(SECRET);
    expect(page.text).not.toContain(PLAIN);
    const rows = await queryDatabase(system.databaseUrl, 'select data::text as data from projects.audit_events where project_id = $1', [
      projectId,
    ]);
    const stored = rows.map((row) => String((row as { data: string }).data)).join('\n');
    expect(stored).toContain('"keys": ["DATABASE_PASSWORD", "PUBLIC_URL", "TRICKY"]');
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain('second line');
  });

  it('refuses any other app (FORBIDDEN), and an unsigned call (UNAUTHORIZED)', async () => {
    // The bus lets only the deployer publish the operation: the unrestricted `test` user stands in
    // for an app that got past it, signing with that app's own key (and reading its answer on the
    // deployer's inbox, the one environments may answer this operation on).
    const nc = await bus('test', 'deployer');
    for (const app of ['gateway', 'projects', 'identity', 'environments'] satisfies AppName[]) {
      const impostor = createDeployerClient({
        transport: createNatsTransport(nc, { timeoutMs: 20_000, signer: system.keys[app].signer }),
        timeoutMs: 20_000,
      });
      const error = await impostor.variables.resolve({ project_id: projectId, environment_id: environmentId }).catch((e: unknown) => e);
      expect(error, app).toMatchObject({ name: 'AtriumError', code: 'FORBIDDEN', status: 403 });
    }
    const unsigned = createDeployerClient({ transport: createNatsTransport(nc, { timeoutMs: 20_000 }), timeoutMs: 20_000 });
    await expect(unsigned.variables.resolve({ project_id: projectId, environment_id: environmentId })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it("is published on the bus by the deployer's user alone, which may do nothing else", async () => {
    for (const identity of ['client', 'gateway', 'projects', 'identity', 'environments'] as const) {
      const nc = await bus(identity);
      expect(await refusal(nc, () => nc.publish(RESOLVE, '{}')), identity).toMatch(/Publish/);
    }
    const deployer = await bus('deployer');
    expect(await refusal(deployer, () => deployer.publish('svc.environments.v1.variables.list', '{}'))).toMatch(/Publish/);
    expect(await refusal(deployer, () => deployer.publish('evt.environments.v1.variables_resolved', '{}'))).toMatch(/Publish/);
    expect(await refusal(deployer, () => deployer.subscribe(`${inboxPrefix('gateway')}.>`))).toMatch(/Subscription/);
    expect(await refusal(deployer, () => deployer.subscribe('svc.environments.v1.>'))).toMatch(/Subscription/);
    expect(await refusal(deployer, () => deployer.publish(RESOLVE, '{}'))).toBeUndefined();
  });

  it('is in the typed client of the deployer only', () => {
    expectTypeOf<DeployerClient>().toHaveProperty('variables');
    expectTypeOf<DeployerClient['variables']>().toHaveProperty('resolve');
    expectTypeOf<DeployerClient['variables']>().not.toHaveProperty('list');
    expectTypeOf<DeployerClient>().not.toHaveProperty('environments');
    expectTypeOf<DeployerClient>().not.toHaveProperty('projects');
  });

  it('refuses a signing key that is not one, before connecting', async () => {
    await expect(
      connectDeployer({ servers: system.natsUrl, pass: 'x', signingKey: 'not a key', signingKeyId: 'deployer-1' }),
    ).rejects.toMatchObject({ name: 'AtriumError', code: 'BAD_REQUEST' });
  });
});

describe('the deployer example', () => {
  it('quotes values: single quotes when nothing in them is special, else double quotes with escapes', () => {
    expect(dotenvLine('A', 'plain $HOME value')).toBe("A='plain $HOME value'");
    expect(dotenvLine('B', '')).toBe("B=''");
    expect(dotenvLine('C', `it's "x" $Y\\z\r\nw`)).toBe('C="it\'s \\"x\\" \\$Y\\\\z\\r\\nw"');
    expect(
      toDotenv([
        { key: 'A', value: 'a' },
        { key: 'B', value: 'b' },
      ]),
    ).toBe("A='a'\nB='b'\n");
  });

  it('runs, compiled, against the stack and prints the environment with the secret', { timeout: 180_000 }, async () => {
    await mkdir(join(EXAMPLE, 'dist'), { recursive: true });
    const out = await mkdtemp(join(EXAMPLE, 'dist', 'test-'));
    try {
      await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json', '--outDir', out], { cwd: EXAMPLE });
      const { stdout } = await run('pnpm', ['exec', 'tsx', '--conditions=@atrium/source', join(out, 'main.js'), projectId, environmentId], {
        cwd: EXAMPLE,
        env: {
          ...process.env,
          NATS_URL: system.natsUrl,
          NATS_USER: 'deployer',
          NATS_PASSWORD: system.natsCredentials.deployer?.password,
          ATRIUM_SIGNING_KEY: deployerKey().signingKey,
          ATRIUM_SIGNING_KEY_ID: deployerKey().signingKeyId,
        },
      });
      expect(stdout).toBe(
        [
          `# production (${environmentId})`,
          `DATABASE_PASSWORD='${SECRET}'`,
          `PUBLIC_URL='${PLAIN}'`,
          'TRICKY="it\'s \\"quoted\\" \\$HOME\\\\path\\nsecond line"',
          '',
        ].join('\n'),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
