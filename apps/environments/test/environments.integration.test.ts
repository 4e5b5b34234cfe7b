import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { createLogger } from '@atrium/service-runtime';
import { createNatsTransport } from '@atrium/nats-trpc';
import { startEnvironmentsService } from '../src/service.js';

let harness: ServiceHarness;

beforeAll(async () => {
  harness = await startServiceHarness('environments', ({ databaseUrl, bus }) =>
    startEnvironmentsService({ databaseUrl, bus, log: createLogger('environments', 'silent') }),
  );
});
afterAll(() => harness?.stop());

describe('environments over NATS', () => {
  it('starts on its own schema and answers health checks', async () => {
    await expect(harness.call('health.check', 'query', undefined)).resolves.toEqual({ service: 'environments', database: 'ok' });
  });

  it('answers unknown procedures with NOT_FOUND rather than hanging', async () => {
    // Not from the gateway's connection: the bus lets it publish the contract's operations only.
    const nc = await harness.connectBus('test');
    const transport = createNatsTransport(nc, { timeoutMs: 20_000, signer: harness.keys.gateway.signer });
    const call = transport.call({ service: 'environments', path: 'environments.nope', kind: 'query', input: {}, meta: { requestId: 'r' } });
    await expect(call).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await nc.close();
  });
});
