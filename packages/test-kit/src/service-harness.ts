import '@atrium/local-infra/provided-context';
import { inject } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNatsBroadcast, serveRouterOverNats } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import type { Broadcast, CallMeta, ProcedureKind, RouterEndpoint, ServiceTransport } from '@atrium/nats-trpc';
import { randomUUID } from 'node:crypto';
import { busAuth, createTestDatabase, generateBusCredentials, startNatsServer, testBusAuthorization } from '@atrium/local-infra';
import type { BusIdentity } from '@atrium/local-infra';
import { connectNats, generateAppKeys } from '@atrium/service-runtime';
import type { AppKeys, EventStreamLimits, EventStreamOptions, Metrics, ServiceBus } from '@atrium/service-runtime';
import { replyPrefixesOf } from '@atrium/contract';
import type { AppName, ServiceName } from '@atrium/contract';

interface StartableService {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: any service's endpoint, whatever its context type
  endpoint: RouterEndpoint<any>;
  close(): Promise<void>;
}

/** A stream and namespace no other test file uses: test files share one nats-server. */
export function testEventStream(): EventStreamOptions & EventStreamLimits {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  return { stream: `ATRIUM_TEST_${suffix}`, namespace: `evt_test_${suffix}`, replicas: 1, maxAgeMs: 60 * 60 * 1000 };
}

export interface ServiceHarness {
  databaseUrl: string;
  events: EventStreamOptions & EventStreamLimits;
  /** The client side: a separate NATS connection, as the gateway would have, signing as the gateway. */
  transport: ServiceTransport;
  /** The keys made for this test's apps, to sign calls as any of them. */
  keys: Record<AppName, AppKeys>;
  /** A connection to the harness's nats-server as `identity`, with its bus permissions (`test`: may do anything, replies on the gateway's inbox). */
  connectBus(identity: BusIdentity): Promise<NatsConnection>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes
  call(path: string, kind: ProcedureKind, input: unknown, caller?: CallMeta['caller']): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Starts one service the way production does — its own database, serving on real NATS with the
 * bus permissions of `infra/` — and gives the test a client on a second connection, as the
 * gateway. Each harness gets a fresh database and a nats-server of its own (it starts in
 * milliseconds): two test files serving one service would otherwise share its queue group.
 */
export async function startServiceHarness(
  name: ServiceName,
  start: (deps: {
    databaseUrl: string;
    broadcast: Broadcast;
    nc: NatsConnection;
    /** A JetStream stream and subject namespace of this test file's own, so runs never collide. */
    events: EventStreamOptions & EventStreamLimits;
    /** The service's keys, and a transport for its own calls signed with them. */
    bus: ServiceBus;
  }) => Promise<StartableService>,
  options: { metrics?: Metrics } = {},
): Promise<ServiceHarness> {
  const credentials = generateBusCredentials();
  const [database, nats] = await Promise.all([
    createTestDatabase(inject('databaseUrl')),
    startNatsServer({ config: testBusAuthorization(credentials) }),
  ]);
  // `test`, which may publish anything, stands in for the gateway: its replies come on the gateway's inbox.
  const connectBus = (identity: BusIdentity) =>
    connectNats(nats.url, identity, busAuth(credentials, identity), identity === 'test' ? 'gateway' : identity);
  // Each side with its own bus identity: the service's, and the gateway's for the calls.
  const serverConnection = await connectBus(name);
  const clientConnection = await connectBus('gateway');
  const events = testEventStream();
  const keys = generateAppKeys();
  // Generous: tests assert behaviour, never timing, and password hashing is slow on a busy CI machine.
  const timeoutMs = 20_000;
  // `metrics`, when the test reads them: where the service counts what it does.
  const bus = {
    keys: keys[name],
    transport: createNatsTransport(serverConnection, { timeoutMs, signer: keys[name].signer }),
    metrics: options.metrics,
  };
  const service = await start({
    databaseUrl: database.url,
    broadcast: createNatsBroadcast(serverConnection),
    nc: serverConnection,
    events,
    bus,
  });
  const served = serveRouterOverNats(serverConnection, service.name, service.endpoint, { replyPrefixes: replyPrefixesOf(name) });
  await serverConnection.flush();
  const transport = createNatsTransport(clientConnection, { timeoutMs, signer: keys.gateway.signer });
  return {
    databaseUrl: database.url,
    events,
    transport,
    keys,
    connectBus,
    call: (path, kind, input, caller) =>
      transport.call({ service: service.name, path, kind, input, meta: { requestId: randomUUID(), caller } }),
    async stop() {
      await served.drain();
      await service.close();
      await clientConnection.close();
      await serverConnection.drain();
      await Promise.all([nats.stop(), database.drop()]);
    },
  };
}
