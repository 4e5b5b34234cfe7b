import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { initTRPC } from '@trpc/server';
import { startNatsServer } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import { ServiceUnavailableError, serveRouterOverNats } from '../src/index.js';
import { createNatsTransport } from '../src/nats-transport.js';
import type { CallMeta, RouterEndpoint, ServiceTransport } from '../src/index.js';

// A procedure that answers only when the test lets it: a call to it is in flight for as long as needed.
let release: () => void = () => undefined;
let started: () => void = () => undefined;
const t = initTRPC.context<{ meta: CallMeta }>().create();
const router = t.router({
  ping: t.procedure.query(() => 'pong'),
  held: t.procedure.query(async () => {
    started();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return 'released';
  }),
});
const endpoint: RouterEndpoint<{ meta: CallMeta }> = { router, createContext: (meta) => ({ meta }) };

const meta: CallMeta = { requestId: 'outage' };
const forever = { maxReconnectAttempts: -1, reconnectTimeWait: 100, noAsyncTraces: true } as const;

let nats: RunningNats;
let port: number;
let server: NatsConnection;
let client: NatsConnection;
let transport: ServiceTransport;

beforeAll(async () => {
  nats = await startNatsServer();
  port = Number(new URL(nats.url).port);
  server = await connect({ servers: nats.url, ...forever });
  client = await connect({ servers: nats.url, ...forever });
  serveRouterOverNats(server, 'outage', endpoint, { replyPrefixes: ['_INBOX.'] });
  await server.flush();
  // A deadline far beyond the test's own timeout: waiting it out would fail the test.
  transport = createNatsTransport(client, { timeoutMs: 10 * 60_000 });
});
afterAll(async () => {
  release();
  await client?.close();
  await server?.close();
  await nats?.stop();
});

const ping = () => transport.call({ service: 'outage', path: 'ping', kind: 'query', input: undefined, meta });

async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('a transport whose broker goes away', () => {
  it('fails a call in flight when the connection drops, refuses new calls at once, and recovers', async () => {
    await expect(ping()).resolves.toBe('pong');

    const handled = new Promise<void>((resolve) => {
      started = resolve;
    });
    const inFlight = transport.call({ service: 'outage', path: 'held', kind: 'query', input: undefined, meta }).catch((e) => e);
    await handled;
    await nats.stop();

    const dropped = await inFlight;
    expect(dropped).toBeInstanceOf(ServiceUnavailableError);
    expect(dropped).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'disconnected' });

    const refused = await ping().catch((e) => e);
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'disconnected' });

    nats = await startNatsServer({ port });
    await expect(eventually(ping)).resolves.toBe('pong');
  });

  it('waits for a connection that comes back within its grace (another node, a quick restart) instead of failing', async () => {
    // The grace is far beyond the restart below, and the deadline beyond the grace.
    const patient = createNatsTransport(client, { timeoutMs: 10 * 60_000, reconnectGraceMs: 60_000 });
    await nats.stop();
    // The client has seen the broker go: a call with the default grace fails.
    await expect
      .poll(() =>
        ping().then(
          () => 'up',
          () => 'down',
        ),
      )
      .toBe('down');
    const waiting = patient.call({ service: 'outage', path: 'ping', kind: 'query', input: undefined, meta });
    nats = await startNatsServer({ port });
    await expect(waiting).resolves.toBe('pong');
  });
});
