import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import '@atrium/local-infra/provided-context';
import { connect, headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  createCallSigner,
  generateSigningKey,
  RemoteProcedureError,
  ServiceUnavailableError,
  createLocalTransport,
  isAllowedReply,
  serveRouterOverNats,
  transportLink,
} from '../src/index.js';
import { createNatsTransport } from '../src/nats-transport.js';
import type { CallMeta, RouterEndpoint, ServiceTransport } from '../src/index.js';

const t = initTRPC.context<{ meta: CallMeta }>().create({
  errorFormatter: ({ shape }) => ({ ...shape, data: { ...shape.data, stack: undefined, apiCode: 'FROM_FORMATTER' } }),
});
let started = 0;
const router = t.router({
  echo: t.router({
    counted: t.procedure.mutation(() => {
      started += 1;
      return started;
    }),
    whoami: t.procedure.query(({ ctx }) => ctx.meta),
    double: t.procedure.input(z.object({ n: z.number() })).mutation(({ input }) => ({ n: input.n * 2 })),
    missing: t.procedure.query(() => {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'Nothing here' });
    }),
    slow: t.procedure.query(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return 'late';
    }),
  }),
});
const endpoint: RouterEndpoint<{ meta: CallMeta }> = { router, createContext: (meta) => ({ meta }) };
/** nats.js's default inbox prefix, which these tests' connections use. */
const defaultInboxes = { replyPrefixes: ['_INBOX.'] };

/** The test run's unrestricted user: these tests serve made-up services no app may use. */
const anyone = () => ({
  servers: inject('natsUrl'),
  user: inject('natsCredentials').test?.user,
  pass: inject('natsCredentials').test?.password,
});

let server: NatsConnection;
let client: NatsConnection;
let transport: ServiceTransport;
const service = `echo${Date.now()}`;

beforeAll(async () => {
  server = await connect(anyone());
  client = await connect(anyone());
  serveRouterOverNats(server, service, endpoint, defaultInboxes);
  await server.flush();
  transport = createNatsTransport(client, { timeoutMs: 500, signer: createCallSigner(generateSigningKey('gateway').signing) });
});
afterAll(async () => {
  await client?.close();
  await server?.drain();
});

const meta: CallMeta = { requestId: 'req-1', caller: { userId: 'u-1', credentialId: 'c-1' } };

describe('tRPC over a real nats-server', () => {
  it('carries input, output, the request id, the deadline and the signed assertion across the hop', async () => {
    await expect(transport.call({ service, path: 'echo.double', kind: 'mutation', input: { n: 21 }, meta })).resolves.toEqual({ n: 42 });
    // The caller travels only inside the assertion, for the service to verify; never as a plain header.
    await expect(transport.call({ service, path: 'echo.whoami', kind: 'query', input: undefined, meta })).resolves.toEqual({
      requestId: meta.requestId,
      deadline: expect.any(Number),
      assertion: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    const unsigned = createNatsTransport(client, { timeoutMs: 500 });
    await expect(
      unsigned.call({ service, path: 'echo.whoami', kind: 'query', input: undefined, meta: { requestId: 'anon' } }),
    ).resolves.toEqual({ requestId: 'anon', deadline: expect.any(Number) });
  });

  it('preserves error codes and the formatted error data', async () => {
    const error = await transport.call({ service, path: 'echo.missing', kind: 'query', input: undefined, meta }).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteProcedureError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'Nothing here', data: { apiCode: 'FROM_FORMATTER' } });
    const invalid = await transport.call({ service, path: 'echo.double', kind: 'mutation', input: { n: 'x' }, meta }).catch((e) => e);
    expect(invalid).toMatchObject({ code: 'BAD_REQUEST' });
    const unknown = await transport.call({ service, path: 'echo.nope', kind: 'query', input: undefined, meta }).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('fails fast with SERVICE_UNAVAILABLE when no instance is running', async () => {
    const error = await transport.call({ service: 'nobody-home', path: 'x.y', kind: 'query', input: undefined, meta }).catch((e) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'no-responders' });
  });

  it('gives up at the deadline with SERVICE_UNAVAILABLE', async () => {
    const error = await transport.call({ service, path: 'echo.slow', kind: 'query', input: undefined, meta }).catch((e) => e);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'timeout' });
  });

  it("sends the deadline along: the caller's own when earlier, else now + the timeout", async () => {
    const whoami = (deadline?: number) =>
      transport.call({ service, path: 'echo.whoami', kind: 'query', input: undefined, meta: { ...meta, deadline } }) as Promise<CallMeta>;
    const before = Date.now();
    const own = await whoami();
    expect(own.deadline).toBeGreaterThanOrEqual(before + 500);
    expect(own.deadline).toBeLessThanOrEqual(Date.now() + 500);
    const earlier = Date.now() + 400;
    await expect(whoami(earlier)).resolves.toMatchObject({ deadline: earlier });
    const later = Date.now() + 60_000;
    expect((await whoami(later)).deadline).toBeLessThan(later);
  });

  it("answers only onto a caller's inbox: a call naming any other reply subject never runs", async () => {
    const before = started;
    const victim = `$JS.API.STREAM.PURGE.${service}`;
    const delivered: string[] = [];
    client.subscribe(victim, {
      callback: (_error, msg) => {
        delivered.push(msg.string());
      },
    });
    for (const reply of [victim, `_INBOX`, `_INBOXX.${service}`]) {
      const h = headers();
      h.set('atrium-procedure-kind', 'mutation');
      client.publish(`svc.${service}.v1.echo.counted`, '', { headers: h, reply });
    }
    // Taken in order: by the time a later call through the caller's own inbox has run, the
    // forged ones have been seen and dropped.
    await expect(transport.call({ service, path: 'echo.counted', kind: 'mutation', input: undefined, meta })).resolves.toBe(before + 1);
    await client.flush();
    expect(delivered).toEqual([]);
  });

  it("tells a caller's inbox from any other subject", () => {
    const prefixes = ['_INBOX_gateway.', '_INBOX_client.'];
    expect(isAllowedReply('_INBOX_gateway.x7Yq.12', prefixes)).toBe(true);
    expect(isAllowedReply('_INBOX_client.abc', prefixes)).toBe(true);
    for (const reply of [
      '$JS.API.STREAM.PURGE.ATRIUM',
      '_INBOX_gateway.',
      '_INBOX_gatewayx.abc',
      '_INBOX_projects.abc',
      '_INBOX_client.a..b',
      '_INBOX_client.a.>',
      '$O.atrium-uploads.M.x',
    ]) {
      expect(isAllowedReply(reply, prefixes), reply).toBe(false);
    }
  });

  it('does not start a call whose deadline has passed, on either side of the hop', async () => {
    const before = started;
    for (const via of [transport, createLocalTransport({ [service]: endpoint })]) {
      const refused = await via
        .call({ service, path: 'echo.counted', kind: 'mutation', input: undefined, meta: { ...meta, deadline: Date.now() - 1 } })
        .catch((e) => e);
      expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'deadline-passed' });
    }
    // A caller that sends a passed deadline anyway (a slow hop, a skewed clock) gets a refusal, not the work.
    const h = headers();
    h.set('atrium-procedure-kind', 'mutation');
    h.set('atrium-request-id', 'late');
    h.set('atrium-deadline', String(Date.now() - 1));
    const reply = await client.request(`svc.${service}.v1.echo.counted`, '', { headers: h, timeout: 5000 });
    expect(reply.json()).toMatchObject({ error: { data: { code: 'SERVICE_UNAVAILABLE' } } });
    expect(started).toBe(before);
    await expect(transport.call({ service, path: 'echo.counted', kind: 'mutation', input: undefined, meta })).resolves.toBe(before + 1);
  });

  it('spreads calls over every instance of the queue group', async () => {
    const second = await connect(anyone());
    const seen = new Set<string>();
    const tagged = (tag: string): RouterEndpoint<{ meta: CallMeta }> => ({
      router: t.router({ who: t.procedure.query(() => tag) }),
      createContext: (m) => ({ meta: m }),
    });
    const group = `${service}-group`;
    serveRouterOverNats(server, group, tagged('a'), defaultInboxes);
    serveRouterOverNats(second, group, tagged('b'), defaultInboxes);
    // Subscriptions take effect once the server has seen them.
    await Promise.all([server.flush(), second.flush()]);
    for (let i = 0; i < 40; i += 1)
      seen.add((await transport.call({ service: group, path: 'who', kind: 'query', input: undefined, meta })) as string);
    expect([...seen].sort()).toEqual(['a', 'b']);
    await second.drain();
  });

  it('drain() answers every call already taken before it resolves', async () => {
    const own = await connect(anyone());
    const drained = `${service}-drain`;
    let taken: () => void = () => undefined;
    const callTaken = new Promise<void>((resolve) => {
      taken = resolve;
    });
    const served = serveRouterOverNats(
      own,
      drained,
      {
        router: t.router({
          slow: t.procedure.query(async () => {
            taken();
            await new Promise((resolve) => setTimeout(resolve, 300));
            return 'finished';
          }),
        }),
        createContext: (m) => ({ meta: m }),
      },
      defaultInboxes,
    );
    await own.flush();
    const patient = createNatsTransport(client, { timeoutMs: 5000 });
    const call = patient.call({ service: drained, path: 'slow', kind: 'query', input: undefined, meta });
    await callTaken;
    await served.drain();
    await own.drain();
    await expect(call).resolves.toBe('finished');
    // Once drained, the instance takes nothing more.
    await expect(patient.call({ service: drained, path: 'slow', kind: 'query', input: undefined, meta })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('serves typed tRPC clients through the link, over NATS and in process alike', async () => {
    for (const via of [transport, createLocalTransport({ [service]: endpoint })]) {
      const typed = createTRPCClient<typeof router>({ links: [transportLink(via, service, () => meta)] });
      await expect(typed.echo.double.mutate({ n: 4 })).resolves.toEqual({ n: 8 });
      const error = await typed.echo.missing.query().catch((e) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.data).toMatchObject({ code: 'NOT_FOUND', apiCode: 'FROM_FORMATTER' });
    }
  });
});
