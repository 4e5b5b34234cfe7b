import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { TRPCClientError } from '@trpc/client';
import { createAtriumClient } from '@atrium/client';
import type { Project } from '@atrium/contract';
import { createNatsTransport } from '@atrium/nats-trpc';
import { busAuth } from '@atrium/local-infra';
import { connectNats } from '@atrium/service-runtime';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let nc: NatsConnection;
beforeAll(async () => {
  system = await startTestSystem();
  nc = await connectNats(system.natsUrl, 'gateway', busAuth(system.natsCredentials, 'gateway'));
});
afterAll(async () => {
  await nc?.close();
  await system?.stop();
});

describe('the typed client for internal TypeScript services', () => {
  it('calls the services over NATS with contract types, on behalf of a user', async () => {
    const user = await newUser(system.api, 'client');
    const caller = { userId: user.id, credentialId: randomUUID() };
    const atrium = createAtriumClient({
      transport: createNatsTransport(nc, { timeoutMs: 5000, signer: system.keys.gateway.signer }),
      meta: () => ({ requestId: randomUUID(), caller }),
    });

    const created = await atrium.projects.projects.create.mutate({ name: 'typed-client', color: '#00FF00' });
    expectTypeOf(created).toEqualTypeOf<Project>();
    expect(created.color).toBe('#00FF00');

    // What the typed client wrote, the REST surface reads.
    const viaRest = await system.api('GET', `/projects/${created.id}`, { token: user.token });
    expect(viaRest.body.data).toEqual(created);

    const error = await atrium.projects.projects.get.query({ id: randomUUID() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<any>).data).toMatchObject({ code: 'NOT_FOUND', apiCode: 'NOT_FOUND' });
  });
});
