import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AtriumError, connectAtrium } from '@atrium/client';
import type { AtriumClient, CallOptions } from '@atrium/client';
import { procedureSubject } from '@atrium/contract';
import { freePort, startNatsServer } from '@atrium/local-infra';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let apiKey: string;
beforeAll(async () => {
  system = await startTestSystem();
  const user = await newUser(system.api, 'client-options');
  const created = await system.api('POST', '/auth/api-keys', { token: user.token, body: { name: 'typed client' } });
  apiKey = created.body.data.key;
});
afterAll(() => system?.stop());

const connectWith = (credential = apiKey, extra: { timeoutMs?: number } = {}) =>
  connectAtrium({ servers: system.natsUrl, pass: system.natsCredentials.client?.password, credential, timeoutMs: 20_000, ...extra });

/**
 * Takes projects off the bus and answers nothing on `projects.get` in its place (as the
 * unrestricted `test` user): a service that took the call and hangs.
 */
async function silentProjects(): Promise<{ calls: () => number; restore(): Promise<void> }> {
  await system.stopService('projects');
  const nc: NatsConnection = await connect({
    servers: system.natsUrl,
    user: system.natsCredentials.test?.user,
    pass: system.natsCredentials.test?.password,
  });
  let calls = 0;
  nc.subscribe(procedureSubject('projects', 'projects.get'), {
    callback: () => {
      calls++;
    },
  });
  await nc.flush();
  return {
    calls: () => calls,
    async restore() {
      await nc.close();
      await system.resumeService('projects');
    },
  };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as AtriumError,
  );

describe('per-call options of the typed client', () => {
  it('takes options after the input, typed', () => {
    expectTypeOf<AtriumClient['projects']['get']>().parameter(1).toEqualTypeOf<CallOptions | undefined>();
  });

  it('timeoutMs: a service that does not answer is SERVICE_UNAVAILABLE when the call’s own time is up', async () => {
    const atrium = await connectWith();
    const silent = await silentProjects();
    try {
      await atrium.auth.me({}); // the session exchange, done before the clock starts
      const started = Date.now();
      const error = await failureOf(atrium.projects.get({ id: crypto.randomUUID() }, { timeoutMs: 400 }));
      expect(error).toBeInstanceOf(AtriumError);
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(silent.calls()).toBeGreaterThan(0);
    } finally {
      await silent.restore();
      await atrium.close();
    }
  });

  it('signal: aborting stops waiting with ABORTED, and an aborted signal sends nothing', async () => {
    const atrium = await connectWith();
    const silent = await silentProjects();
    try {
      await atrium.auth.me({});
      const controller = new AbortController();
      const pending = failureOf(atrium.projects.get({ id: crypto.randomUUID() }, { signal: controller.signal }));
      setTimeout(() => controller.abort(new Error('user went away')), 100);
      const error = await pending;
      expect(error).toBeInstanceOf(AtriumError);
      expect(error).toMatchObject({ code: 'ABORTED', cause: expect.objectContaining({ message: 'user went away' }) });

      const before = silent.calls();
      const again = await failureOf(atrium.projects.get({ id: crypto.randomUUID() }, { signal: AbortSignal.abort() }));
      expect(again).toMatchObject({ name: 'AtriumError', code: 'ABORTED' });
      expect(silent.calls()).toBe(before);
    } finally {
      await silent.restore();
      await atrium.close();
    }
  });

  it('idempotencyKey: a repeated create answers the first project, a reuse with other input is refused', async () => {
    const atrium = await connectWith();
    try {
      const idempotencyKey = `client-${crypto.randomUUID()}`;
      const name = `idem-${Date.now()}`;
      const first = await atrium.projects.create({ name, color: '#00FF00' }, { idempotencyKey });
      const repeat = await atrium.projects.create({ name, color: '#00FF00' }, { idempotencyKey });
      expect(repeat.id).toBe(first.id);
      const page = await atrium.projects.list({});
      expect(page.data.filter((project) => project.name === name)).toHaveLength(1);

      const reused = await failureOf(atrium.projects.create({ name: `${name}-other`, color: '#00FF00' }, { idempotencyKey }));
      expect(reused).toBeInstanceOf(AtriumError);
      expect(reused.code).toBe('UNPROCESSABLE_CONTENT');
      const invalid = await failureOf(atrium.projects.create({ name: `${name}-x` }, { idempotencyKey: 'has spaces' }));
      expect(invalid).toMatchObject({ code: 'BAD_REQUEST' });
    } finally {
      await atrium.close();
    }
  });
});

describe('every failure is an AtriumError', () => {
  it('no broker where it is told to connect: SERVICE_UNAVAILABLE', async () => {
    const port = await freePort();
    const error = await failureOf(connectAtrium({ servers: `nats://127.0.0.1:${port}`, credential: apiKey, timeoutMs: 2000 }));
    expect(error).toBeInstanceOf(AtriumError);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('a broker refusing the client’s NATS password: UNAUTHORIZED', async () => {
    const error = await failureOf(connectAtrium({ servers: system.natsUrl, pass: 'wrong', credential: apiKey, timeoutMs: 2000 }));
    expect(error).toBeInstanceOf(AtriumError);
    expect(error.code).toBe('UNAUTHORIZED');
  });

  it('a broker that goes down, and one with no services on it: SERVICE_UNAVAILABLE, never a NATS error', async () => {
    const nats = await startNatsServer();
    try {
      const atrium = await connectAtrium({ servers: nats.url, credential: apiKey, timeoutMs: 3000 });
      try {
        const nobody = await failureOf(atrium.projects.list({}));
        expect(nobody).toBeInstanceOf(AtriumError);
        expect(nobody.code).toBe('SERVICE_UNAVAILABLE');
        await nats.stop();
        const down = await failureOf(atrium.projects.list({}));
        expect(down).toBeInstanceOf(AtriumError);
        expect(down.code).toBe('SERVICE_UNAVAILABLE');
      } finally {
        await atrium.close();
      }
      const closed = await failureOf(atrium.projects.list({}));
      expect(closed).toBeInstanceOf(AtriumError);
      expect(closed.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await nats.stop().catch(() => undefined);
    }
  });
});
