import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AppName } from '@atrium/contract';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { createJetStreamSink, createLogger, createSecretCipher, ensureEventStream, jetStreamEventSource } from '@atrium/service-runtime';
import { queryDatabase, startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { startEnvironmentsService } from '../src/service.js';
import { variableContext } from '../src/variable.repository.js';

/**
 * `variables.resolve` at the service: secrets sealed under a retired key and the current one are
 * both opened, the call's audit event is in the outbox with key names only, and only the
 * deployer's signature gets an answer.
 */
const retiredKey = randomBytes(32);
const currentKey = randomBytes(32);
let harness: ServiceHarness;
let deployerBus: NatsConnection;
let testBus: NatsConnection;
const projectId = randomUUID();
const environmentId = randomUUID();

const sql = (text: string, values: unknown[] = []) => queryDatabase(harness.databaseUrl, text, values);
const resolveAs = (nc: NatsConnection, app: AppName | undefined, input: unknown) =>
  createNatsTransport(nc, { timeoutMs: 20_000, signer: app && harness.keys[app].signer }).call({
    service: 'environments',
    path: 'variables.resolve',
    kind: 'mutation',
    input,
    meta: { requestId: randomUUID() },
  });

/** A variable as the service stores it: a secret sealed under `key`, bound to its environment and key. */
async function insertVariable(key: string, value: string, sealedWith?: Buffer) {
  const sealed = sealedWith && createSecretCipher(sealedWith).seal(value, variableContext(environmentId, key));
  await sql(
    `insert into environments.variables (id, environment_id, key, secret, value, ciphertext, key_id, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, now(), now())`,
    [randomUUID(), environmentId, key, Boolean(sealed), sealed ? null : value, sealed?.ciphertext ?? null, sealed?.keyId ?? null],
  );
}

beforeAll(async () => {
  harness = await startServiceHarness('environments', async ({ databaseUrl, bus, nc, broadcast, events }) => {
    await ensureEventStream(nc, events);
    const log = createLogger('environments', 'silent');
    return startEnvironmentsService({
      databaseUrl,
      bus,
      log,
      broadcast,
      events: jetStreamEventSource(nc, events, log),
      eventSink: createJetStreamSink(nc, events),
      encryptionKey: currentKey,
      previousEncryptionKeys: [retiredKey],
    });
  });
  await sql(
    `insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
     values ($1, $2, 'staging', 'Staging', 'staging', false, now(), now())`,
    [environmentId, projectId],
  );
  await insertVariable('OLD_SECRET', 'sealed-before-rotation', retiredKey);
  await insertVariable('NEW_SECRET', 'sealed-after-rotation', currentKey);
  await insertVariable('PLAIN', 'in clear');
  deployerBus = await harness.connectBus('deployer');
  testBus = await harness.connectBus('test');
});
afterAll(async () => {
  await deployerBus?.close();
  await testBus?.close();
  await harness?.stop();
});

describe('variables.resolve', () => {
  it('opens secrets sealed under a retired key and the current one, and records the keys it gave', async () => {
    await expect(resolveAs(deployerBus, 'deployer', { project_id: projectId, environment_id: environmentId })).resolves.toEqual({
      project_id: projectId,
      environment_id: environmentId,
      name: 'staging',
      data: [
        { key: 'NEW_SECRET', value: 'sealed-after-rotation', secret: true },
        { key: 'OLD_SECRET', value: 'sealed-before-rotation', secret: true },
        { key: 'PLAIN', value: 'in clear', secret: false },
      ],
    });
    const outbox = await sql(`select payload::text as payload from environments.outbox where type = 'environments.v1.variables_resolved'`);
    expect(outbox).toHaveLength(1);
    const payload = String((outbox[0] as { payload: string }).payload);
    expect(JSON.parse(payload)).toMatchObject({
      actor: null,
      data: {
        project_id: projectId,
        environment_id: environmentId,
        name: 'staging',
        keys: ['NEW_SECRET', 'OLD_SECRET', 'PLAIN'],
        caller: 'deployer',
      },
    });
    for (const value of ['sealed-after-rotation', 'sealed-before-rotation', 'in clear']) expect(payload).not.toContain(value);
  });

  it('is NOT_FOUND for an environment of another project, and records nothing', async () => {
    const otherProject = randomUUID();
    await expect(resolveAs(deployerBus, 'deployer', { project_id: otherProject, environment_id: environmentId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await sql(`select id from environments.outbox where payload->'data'->>'project_id' = $1`, [otherProject])).toEqual([]);
  });

  it('answers no other app: FORBIDDEN when signed by one, UNAUTHORIZED unsigned', async () => {
    // `test` may publish anything (replies on the gateway's inbox): past the bus, the service decides.
    for (const app of ['gateway', 'projects', 'identity', 'environments'] as const) {
      await expect(resolveAs(testBus, app, { project_id: projectId, environment_id: environmentId }), app).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    await expect(resolveAs(testBus, undefined, { project_id: projectId, environment_id: environmentId })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});
