import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { PROJECT_CREATED } from '@atrium/contract';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { createJetStreamSink, createLogger, ensureEventStream, eventEnvelope, jetStreamEventSource } from '@atrium/service-runtime';
import { queryDatabase, startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { startEnvironmentsService } from '../src/service.js';

let harness: ServiceHarness;
let raw: NatsConnection;
/** Calls signed by projects, the one app that may ask for a default environment. */
let asProjects: (path: string, input: unknown) => Promise<any>;

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
      encryptionKey: randomBytes(32),
    });
  });
  // As projects: the one app that may ask for a default environment and publish projects' events.
  raw = await harness.connectBus('projects');
  const transport = createNatsTransport(raw, { timeoutMs: 20_000, signer: harness.keys.projects.signer });
  asProjects = (path, input) =>
    transport.call({ service: 'environments', path, kind: 'mutation', input, meta: { requestId: randomUUID() } });
});
afterAll(async () => {
  await raw?.close();
  await harness?.stop();
});

const defaultsOf = (projectId: string) =>
  queryDatabase(harness.databaseUrl, 'select name, type, is_default from environments.environments where project_id = $1', [projectId]);

describe('environments over NATS', () => {
  it('starts on its own schema and answers health checks', async () => {
    await expect(harness.call('health.check', 'query', undefined)).resolves.toEqual({
      service: 'environments',
      database: 'ok',
      dead_letters: {},
    });
  });

  it('answers unknown procedures with NOT_FOUND rather than hanging', async () => {
    // Not from the gateway's connection: the bus lets it publish the contract's operations only.
    const nc = await harness.connectBus('test');
    const transport = createNatsTransport(nc, { timeoutMs: 20_000, signer: harness.keys.gateway.signer });
    const call = transport.call({ service: 'environments', path: 'environments.nope', kind: 'query', input: {}, meta: { requestId: 'r' } });
    await expect(call).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await nc.close();
  });

  it('creates the default environment once, however often and concurrently projects asks', async () => {
    const projectId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => asProjects('environments.createDefault', { project_id: projectId })),
    );
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(answers[0]).toMatchObject({ project_id: projectId, name: 'production', type: 'production', is_default: true });
    expect(await defaultsOf(projectId)).toEqual([{ name: 'production', type: 'production', is_default: true }]);
  });

  it('lets no other app ask for a default environment: neither the bus nor the service', async () => {
    const input = { project_id: randomUUID() };
    await expect(harness.call('environments.createDefault', 'mutation', input)).rejects.toThrow(/Permissions Violation/);
    // Past the bus (a connection that may publish anything), the service still checks who signed.
    const nc = await harness.connectBus('test');
    const asGateway = createNatsTransport(nc, { timeoutMs: 20_000, signer: harness.keys.gateway.signer });
    const call = asGateway.call({
      service: 'environments',
      path: 'environments.createDefault',
      kind: 'mutation',
      input,
      meta: { requestId: 'r' },
    });
    await expect(call).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await nc.close();
    expect(await defaultsOf(input.project_id)).toEqual([]);
  });

  it('creates the default from projects.v1.created, and a redelivered event changes nothing', async () => {
    const projectId = randomUUID();
    const js = jetstream(raw);
    const event = JSON.stringify(eventEnvelope(PROJECT_CREATED, { project_id: projectId, name: 'from-event' }));
    // The same event twice, past JetStream's de-duplication (no message id): the consumer's processed-events record holds.
    await js.publish(`${harness.events.namespace}.${PROJECT_CREATED}`, event);
    await js.publish(`${harness.events.namespace}.${PROJECT_CREATED}`, event);
    await expect.poll(() => defaultsOf(projectId), { timeout: 20_000 }).toHaveLength(1);
    // Once the event is handled the direct call finds the same environment.
    const direct = await asProjects('environments.createDefault', { project_id: projectId });
    expect(direct).toMatchObject({ name: 'production', is_default: true });
    expect(await defaultsOf(projectId)).toHaveLength(1);
  });
});
