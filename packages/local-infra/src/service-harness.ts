import './provided-context.js';
import { inject } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNatsBroadcast, createNatsTransport, serveRouterOverNats } from '@atrium/nats-trpc';
import type { Broadcast, CallMeta, ProcedureKind, RouterEndpoint, ServiceTransport } from '@atrium/nats-trpc';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './databases.js';

interface StartableService {
  name: string;
  endpoint: RouterEndpoint<any>;
  close(): Promise<void>;
}

export interface ServiceHarness {
  databaseUrl: string;
  /** The client side: a separate NATS connection, as another service would have. */
  transport: ServiceTransport;
  call(path: string, kind: ProcedureKind, input: unknown, caller?: CallMeta['caller']): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Starts one service the way production does — its own database, serving on real NATS —
 * and gives the test a client on a second connection. Each test file gets a fresh database.
 */
export async function startServiceHarness(
  start: (deps: {
    databaseUrl: string;
    broadcast: Broadcast;
    nc: NatsConnection;
    /** A JetStream stream and subject namespace of this test file's own, so runs never collide. */
    events: { stream: string; namespace: string };
  }) => Promise<StartableService>,
): Promise<ServiceHarness & { events: { stream: string; namespace: string } }> {
  const natsUrl = inject('natsUrl');
  const database = await createTestDatabase(inject('databaseUrl'));
  const serverConnection: NatsConnection = await connect({ servers: natsUrl, noAsyncTraces: true });
  const clientConnection: NatsConnection = await connect({ servers: natsUrl, noAsyncTraces: true });
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const events = { stream: `ATRIUM_TEST_${suffix}`, namespace: `evt_test_${suffix}` };
  const service = await start({ databaseUrl: database.url, broadcast: createNatsBroadcast(serverConnection), nc: serverConnection, events });
  const served = serveRouterOverNats(serverConnection, service.name, service.endpoint);
  await serverConnection.flush();
  // Generous: tests assert behaviour, never timing, and password hashing is slow on a busy CI machine.
  const transport = createNatsTransport(clientConnection, { timeoutMs: 20_000 });
  return {
    databaseUrl: database.url,
    events,
    transport,
    call: (path, kind, input, caller) =>
      transport.call({ service: service.name, path, kind, input, meta: { requestId: randomUUID(), caller } }),
    async stop() {
      await served.drain();
      await clientConnection.close();
      await serverConnection.drain();
      await service.close();
      await database.drop();
    },
  };
}
