import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import '@atrium/local-infra/provided-context';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { initTRPC } from '@trpc/server';
import {
  createCallSigner,
  createCallVerifier,
  generateSigningKey,
  queueGroup,
  serveRouterOverNats,
  serviceSubjectPrefix,
} from '../src/index.js';
import { createNatsTransport } from '../src/nats-transport.js';
import type { CallMeta, ProcedureCall, ProcedureKind, RetryReason, ServiceTransport } from '../src/index.js';

// An instance that "dies" with the call it took: it takes one call in the queue group, never
// answers it, and its subscription is gone — what a SIGKILLed instance looks like to NATS.
// The live instance verifies each copy's assertion: a repeat must hold under the same rules.
const key = generateSigningKey('gateway');
const verifier = createCallVerifier([key.trusted], { userAsserters: ['gateway'] });
interface Seen {
  path: string;
  attempt?: number;
  idempotencyKey?: string;
  caller?: string;
}
const t = initTRPC.context<{ seen: Seen }>().create();
let applied = 0;
/** `gated` runs until the test opens the gate; `gateReached` resolves once it has started. */
let openGate: () => void = () => undefined;
let reachGate: () => void = () => undefined;
let gateReached = new Promise<void>((resolve) => {
  reachGate = resolve;
});
const router = t.router({
  gated: t.procedure.mutation(async ({ ctx }) => {
    reachGate();
    await new Promise<void>((resolve) => {
      openGate = resolve;
    });
    applied += 1;
    return ctx.seen;
  }),
  read: t.procedure.query(({ ctx }) => ctx.seen),
  write: t.procedure.mutation(({ ctx }) => {
    applied += 1;
    return ctx.seen;
  }),
});

const anyone = () => ({
  servers: inject('natsUrl'),
  user: inject('natsCredentials').test?.user,
  pass: inject('natsCredentials').test?.password,
});
let client: NatsConnection;
const instances: NatsConnection[] = [];
let counter = 0;

beforeAll(async () => {
  client = await connect(anyone());
});
afterAll(async () => {
  await client?.close();
  await Promise.all(instances.map((nc) => nc.close()));
});

/** A fresh service name per test: its own queue group. */
function newService(): string {
  counter += 1;
  return `retry${Date.now()}x${counter}`;
}

async function serveLive(service: string): Promise<void> {
  const nc = await connect(anyone());
  instances.push(nc);
  serveRouterOverNats(
    nc,
    service,
    {
      router,
      createContext: (meta: CallMeta, path: string) => {
        const verified = verifier.verify(meta.assertion!, { service, path, requestId: meta.requestId, deadline: meta.deadline });
        return { seen: { path, attempt: meta.attempt, idempotencyKey: meta.idempotencyKey, caller: verified.caller?.userId } };
      },
    },
    { replyPrefixes: ['_INBOX.'] },
  );
  await nc.flush();
}

/** Resolves with the call the dying instance took (and will never answer). */
async function serveDying(service: string): Promise<{ taken: Promise<Msg>; nc: NatsConnection }> {
  const nc = await connect(anyone());
  instances.push(nc);
  let take: (msg: Msg) => void = () => undefined;
  const taken = new Promise<Msg>((resolve) => {
    take = resolve;
  });
  nc.subscribe(`${serviceSubjectPrefix(service)}>`, { queue: queueGroup(service), max: 1, callback: (_error, msg) => take(msg) });
  await nc.flush();
  return { taken, nc };
}

function transportWith(retries: RetryReason[]): ServiceTransport {
  return createNatsTransport(client, {
    timeoutMs: 10_000,
    attemptMs: 200,
    signer: createCallSigner(key.signing),
    onRetry: (_call, reason) => retries.push(reason),
  });
}

const call = (service: string, path: string, kind: ProcedureKind, meta: Partial<CallMeta> = {}): ProcedureCall => ({
  service,
  path,
  kind,
  input: undefined,
  meta: { requestId: `req-${counter}`, caller: { userId: 'u-1', credentialId: 'c-1' }, ...meta },
});

describe('a call whose instance is lost', () => {
  it('is a query sent again after the attempt budget, answered by a live instance with the same verified assertion', async () => {
    const service = newService();
    const dying = await serveDying(service);
    const retries: RetryReason[] = [];
    const answer = transportWith(retries).call(call(service, 'read', 'query'));
    // The first copy is taken by the instance that never answers; only then does a live one appear.
    await dying.taken;
    await serveLive(service);
    // Copies go out every attempt budget (200 ms) until one is answered: on a loaded machine
    // the live instance may subscribe after the second, so the answer is to the latest copy.
    const answered = (await answer) as { attempt: number };
    expect(answered).toEqual({ path: 'read', attempt: retries.length + 1, caller: 'u-1' });
    expect(answered.attempt).toBeGreaterThanOrEqual(2);
    expect(new Set(retries)).toEqual(new Set(['unanswered']));
  });

  it('is a mutation with an Idempotency-Key sent again, carrying the key', async () => {
    const service = newService();
    const dying = await serveDying(service);
    const retries: RetryReason[] = [];
    const answer = transportWith(retries).call(call(service, 'write', 'mutation', { idempotencyKey: 'key-1' }));
    await dying.taken;
    await serveLive(service);
    const answered = (await answer) as { attempt: number };
    expect(answered).toEqual({ path: 'write', attempt: retries.length + 1, idempotencyKey: 'key-1', caller: 'u-1' });
    expect(answered.attempt).toBeGreaterThanOrEqual(2);
    expect(new Set(retries)).toEqual(new Set(['unanswered']));
  });

  it('sends a mutation its contract declares repeatable (idempotent by nature) again, like a query', async () => {
    const service = newService();
    const dying = await serveDying(service);
    const retries: RetryReason[] = [];
    const answer = transportWith(retries).call({ ...call(service, 'write', 'mutation'), repeatable: true });
    await dying.taken;
    await serveLive(service);
    const answered = (await answer) as { attempt: number };
    expect(answered).toMatchObject({ path: 'write', attempt: retries.length + 1, caller: 'u-1' });
    expect(answered.attempt).toBeGreaterThanOrEqual(2);
    expect(new Set(retries)).toEqual(new Set(['unanswered']));
  });

  it('is never a mutation without a key sent again: it waits for its deadline', async () => {
    const service = newService();
    const dying = await serveDying(service);
    const before = applied;
    const retries: RetryReason[] = [];
    const transport = createNatsTransport(client, {
      timeoutMs: 1000,
      attemptMs: 100,
      signer: createCallSigner(key.signing),
      onRetry: (_c, r) => retries.push(r),
    });
    const outcome = transport.call(call(service, 'write', 'mutation')).catch((error: unknown) => error);
    await dying.taken;
    // A live instance is there for every later copy: none comes, the change may have happened.
    await serveLive(service);
    await expect(outcome).resolves.toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'timeout' });
    expect(retries).toEqual([]);
    expect(applied).toBe(before);
  });

  it('waits for a copy still running when an overtaken earlier copy is answered with an error', async () => {
    const service = newService();
    const dying = await serveDying(service);
    const retries: RetryReason[] = [];
    gateReached = new Promise<void>((resolve) => {
      reachGate = resolve;
    });
    const answer = transportWith(retries).call(call(service, 'gated', 'mutation', { idempotencyKey: 'key-2' }));
    const first = await dying.taken;
    await serveLive(service);
    // The repeat is running; the first copy, late, is refused as concurrent (what a service
    // answers a copy that finds the key's lock taken)...
    await gateReached;
    first.respond(
      JSON.stringify({
        error: { message: 'still being processed', code: -32009, data: { code: 'CONFLICT', httpStatus: 409, apiCode: 'CONFLICT' } },
      }),
    );
    await dying.nc.flush();
    // ...which must not be the caller's answer while the repeat can still succeed.
    openGate();
    // On a loaded machine the live instance may subscribe only after the second copy: the
    // answer is then the latest copy's, as in the tests above.
    const answered = (await answer) as { attempt: number };
    expect(answered).toEqual({ path: 'gated', attempt: retries.length + 1, idempotencyKey: 'key-2', caller: 'u-1' });
    expect(answered.attempt).toBeGreaterThanOrEqual(2);
  });

  it('is any call sent again when no instance was subscribed at all ("no responders")', async () => {
    const service = newService();
    const retries: RetryReason[] = [];
    const transport = createNatsTransport(client, {
      timeoutMs: 10_000,
      attemptMs: 2000,
      signer: createCallSigner(key.signing),
      onRetry: (_call, reason) => {
        retries.push(reason);
        // An instance comes up after the first copy reached no one (a restart).
        if (retries.length === 1) void serveLive(service);
      },
    });
    const answer = await transport.call(call(service, 'write', 'mutation'));
    expect(answer).toMatchObject({ path: 'write', caller: 'u-1' });
    expect(retries[0]).toBe('no-responders');
  });

  it('gives up with "no responders" within one attempt budget when nobody comes', async () => {
    const service = newService();
    const transport = createNatsTransport(client, { timeoutMs: 10_000, attemptMs: 300, signer: createCallSigner(key.signing) });
    const started = Date.now();
    await expect(transport.call(call(service, 'read', 'query'))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'no-responders',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
