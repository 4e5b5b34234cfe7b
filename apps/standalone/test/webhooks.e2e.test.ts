import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newUser, startInProcessTestSystem, startTestSystem } from './support/system.js';
import type { ApiSystem, TestSystem } from './support/system.js';

/**
 * Webhooks end to end over real HTTP: a receiver on 127.0.0.1 (allowed here by
 * WEBHOOKS_ALLOW_PRIVATE_URLS) checks every delivery's signature with the `standardwebhooks`
 * package — the reference implementation, not ours — and fails the first attempt of each event,
 * so every delivery is seen retried with the same `webhook-id`.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook endpoint: answers 500 to the first attempt at each event, 200 after. */
async function startReceiver() {
  const received: Received[] = [];
  const seen = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const answered = seen.has(id) ? 200 : 500;
      seen.add(id);
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An endpoint that answers `status` to everything, or (`null`) never answers at all; it counts requests, and those open at once. */
async function startEndpoint(status: number | null) {
  let requests = 0;
  let open = 0;
  let mostOpen = 0;
  const hanging = new Set<import('node:http').ServerResponse>();
  const server = createServer((request, response) => {
    requests++;
    open++;
    mostOpen = Math.max(mostOpen, open);
    response.on('close', () => {
      open--;
    });
    request.resume();
    if (status === null) hanging.add(response);
    else request.on('end', () => response.writeHead(status).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    stats: () => ({ requests, open, mostOpen }),
    stop: () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const verifies = (secret: string, delivery: Received) => {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe('webhooks', () => {
  let system: TestSystem;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    system = await startTestSystem(
      {
        WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOKS_RETRY_SCHEDULE: '200ms,200ms,200ms',
        WEBHOOKS_TIMEOUT_MS: '4000',
        AUTH_RATE_LIMIT_PER_MINUTE: '0',
      },
      { webhooks: { pollIntervalMs: 50 } },
    );
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  it('delivers the events it is for, signed, retried with the same id, and logs every attempt', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-owner');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-${Date.now()}` } })).body.data;
    const base = `/projects/${project.id}/webhooks`;

    const created = await api('POST', base, {
      token: owner.token,
      body: { url: receiver.url, events: ['projects.v1.updated'], description: 'CI' },
    });
    expect(created.status, created.text).toBe(201);
    const hook = created.body.data;
    expect(hook).toMatchObject({ url: receiver.url, events: ['projects.v1.updated'], description: 'CI' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(hook.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    // Listed without its secret; stored sealed, never in clear.
    const listed = await api('GET', base, { token: owner.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      { id: hook.id, url: receiver.url, events: ['projects.v1.updated'], description: 'CI', created_at: hook.created_at },
    ]);
    expect(listed.text).not.toContain(hook.secret);

    // An event the filter leaves out: an environment, seen in the audit trail before the project changes.
    const environment = await api('POST', `/projects/${project.id}/environments`, { token: owner.token, body: { name: 'staging' } });
    expect(environment.status, environment.text).toBe(201);
    await eventually(
      () => api('GET', `/projects/${project.id}/events?type=environments.v1.created`, { token: owner.token }),
      (response) => response.body?.data?.length === 1,
      'the environment in the audit trail',
    );

    const updated = await api('PUT', `/projects/${project.id}`, { token: owner.token, body: { description: 'now with hooks' } });
    expect(updated.status, updated.text).toBe(200);

    const attempts = await eventually(
      () => receiver.received.filter((delivery) => JSON.parse(delivery.body).data?.project_id === project.id),
      (list) => list.length >= 2,
      'the delivery and its retry',
    );
    expect(attempts.map((delivery) => delivery.answered)).toEqual([500, 200]);
    const [first, retry] = attempts as [Received, Received];
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    for (const delivery of attempts) {
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(verifies(hook.secret, delivery)).toBe(true);
      expect(verifies(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, delivery)).toBe(false);
    }
    const body = JSON.parse(retry.body);
    expect(body).toMatchObject({ type: 'projects.v1.updated', data: { project_id: project.id, fields: ['description'] } });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    // The environment was never delivered.
    expect(receiver.received.some((delivery) => JSON.parse(delivery.body).type === 'environments.v1.created')).toBe(false);

    // The delivery log: both attempts, newest first.
    const log = await eventually(
      () => api('GET', `${base}/${hook.id}/deliveries`, { token: owner.token }),
      (response) => response.body?.data?.[0]?.status === 'succeeded',
      'the delivery log',
    );
    expect(log.body.next_cursor).toBeNull();
    expect(log.body.data).toEqual([
      expect.objectContaining({
        event_id: first.headers['webhook-id'],
        event_type: 'projects.v1.updated',
        attempt: 2,
        status: 'succeeded',
        response_status: 200,
        error: null,
      }),
      expect.objectContaining({ event_id: first.headers['webhook-id'], attempt: 1, status: 'failed', response_status: 500 }),
    ]);
    expect(log.body.data[0].duration_ms).toEqual(expect.any(Number));

    // A page at a time.
    const page = await api('GET', `${base}/${hook.id}/deliveries?limit=1`, { token: owner.token });
    expect(page.body.data).toHaveLength(1);
    const next = await api('GET', `${base}/${hook.id}/deliveries?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`, {
      token: owner.token,
    });
    expect(next.body.data.map((entry: { attempt: number }) => entry.attempt)).toEqual([1]);

    // Rotating: the new secret, and for a day the old one too, sign every delivery.
    const rotated = await api('POST', `${base}/${hook.id}/rotate-secret`, { token: owner.token });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.data.id).toBe(hook.id);
    expect(rotated.body.data.secret).not.toBe(hook.secret);
    const before = receiver.received.length;
    await api('PUT', `/projects/${project.id}`, { token: owner.token, body: { description: 'rotated' } });
    const [signedTwice] = await eventually(
      () => receiver.received.slice(before),
      (list) => list.length >= 1,
      'a delivery after the rotation',
    );
    expect(String(signedTwice!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(rotated.body.data.secret, signedTwice!)).toBe(true);
    expect(verifies(hook.secret, signedTwice!)).toBe(true);

    // Deleted: gone from the list, its log with it.
    expect((await api('DELETE', `${base}/${hook.id}`, { token: owner.token })).status).toBe(204);
    expect((await api('GET', base, { token: owner.token })).body.data).toEqual([]);
    expect((await api('GET', `${base}/${hook.id}/deliveries`, { token: owner.token })).status).toBe(404);
    expect((await api('DELETE', `${base}/${hook.id}`, { token: owner.token })).status).toBe(404);

    // The audit trail has the webhook's life.
    const trail = await eventually(
      () => api('GET', `/projects/${project.id}/events`, { token: owner.token }),
      (response) => response.body?.data?.some((event: { type: string }) => event.type === 'projects.v1.webhook_deleted'),
      'the webhook in the audit trail',
    );
    const types = trail.body.data.map((event: { type: string }) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(['projects.v1.webhook_created', 'projects.v1.webhook_secret_rotated', 'projects.v1.webhook_deleted']),
    );
    expect(trail.text).not.toContain(hook.secret);

    // Counted in /metrics.
    const metrics = await (await fetch(`${system.url}/metrics`)).text();
    expect(metrics).toMatch(/atrium_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/atrium_webhook_deliveries_total\{outcome="retried"\} [1-9]/);
    expect(metrics).toMatch(/atrium_webhook_backlog \d+/);
    expect(metrics).toMatch(/atrium_webhook_oldest_pending_seconds \d+/);
  });

  it('delivers every event of the project when no types are given, and no other project’s', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-all');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-all-${Date.now()}` } })).body.data;
    const other = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-other-${Date.now()}` } })).body.data;
    const hook = (await api('POST', `/projects/${project.id}/webhooks`, { token: owner.token, body: { url: receiver.url, events: [] } }))
      .body.data;
    expect(hook.events).toEqual([]);
    await api('POST', `/projects/${other.id}/environments`, { token: owner.token, body: { name: 'elsewhere' } });
    await api('POST', `/projects/${project.id}/environments`, { token: owner.token, body: { name: 'here' } });
    const ofProject = () => receiver.received.filter((delivery) => JSON.parse(delivery.body).data?.project_id === project.id);
    await eventually(
      () => ofProject().map((delivery) => JSON.parse(delivery.body).type),
      (types) => types.includes('environments.v1.created') && types.includes('projects.v1.webhook_created'),
      'every event of the project',
    );
    expect(receiver.received.some((delivery) => JSON.parse(delivery.body).data?.project_id === other.id)).toBe(false);
  });

  it('gives up after the last retry, and a dead endpoint holds up only its own project', async () => {
    const { api } = system;
    const failing = await startEndpoint(503);
    const hanging = await startEndpoint(null);
    try {
      const owner = await newUser(api, 'hook-dead');
      const newProject = async (name: string) =>
        (await api('POST', '/projects', { token: owner.token, body: { name: `${name}-${Date.now()}` } })).body.data.id as string;
      const [stuck, refused, healthy] = await Promise.all([
        newProject('hook-stuck'),
        newProject('hook-refused'),
        newProject('hook-healthy'),
      ]);
      const hook = async (project: string, url: string) =>
        (await api('POST', `/projects/${project}/webhooks`, { token: owner.token, body: { url, events: ['projects.v1.updated'] } })).body
          .data.id as string;
      await hook(stuck, hanging.url);
      const refusedHook = await hook(refused, failing.url);
      await hook(healthy, receiver.url);

      // Ten events for the endpoint that never answers: only the project's share is in flight.
      for (let i = 0; i < 10; i++) await api('PUT', `/projects/${stuck}`, { token: owner.token, body: { description: `stuck ${i}` } });
      await eventually(
        () => hanging.stats().open,
        (open) => open >= 4,
        'the stuck project’s deliveries in flight',
      );
      // Meanwhile another project's delivery goes through, while the stuck ones still wait for their time-out.
      await api('PUT', `/projects/${healthy}`, { token: owner.token, body: { description: 'healthy' } });
      await eventually(
        () => receiver.received.filter((delivery) => JSON.parse(delivery.body).data?.project_id === healthy),
        (list) => list.length >= 1,
        'the healthy project’s delivery',
      );
      expect(hanging.stats().open).toBe(4);
      expect(hanging.stats().mostOpen).toBe(4);
      // The stuck deliveries are the backlog (at least the 6 waiting and the 4 in flight), and age.
      const gauges = await (await fetch(`${system.url}/metrics`)).text();
      expect(Number(/^atrium_webhook_backlog (\S+)$/m.exec(gauges)?.[1])).toBeGreaterThanOrEqual(10);
      expect(Number(/^atrium_webhook_oldest_pending_seconds (\S+)$/m.exec(gauges)?.[1])).toBeGreaterThan(0);

      // Refused every time: four attempts (the first and three retries), then failed.
      await api('PUT', `/projects/${refused}`, { token: owner.token, body: { description: 'refused' } });
      const log = await eventually(
        () => api('GET', `/projects/${refused}/webhooks/${refusedHook}/deliveries`, { token: owner.token }),
        (response) => response.body?.data?.length === 4 && response.body.data[0].status === 'failed',
        'the last attempt failed',
      );
      expect(
        log.body.data.map((entry: { attempt: number; status: string; response_status: number }) => [
          entry.attempt,
          entry.status,
          entry.response_status,
        ]),
      ).toEqual([
        [4, 'failed', 503],
        [3, 'failed', 503],
        [2, 'failed', 503],
        [1, 'failed', 503],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(failing.stats().requests).toBe(4);

      // The stuck project's attempts time out.
      const stuckHooks = (await api('GET', `/projects/${stuck}/webhooks`, { token: owner.token })).body.data;
      const timedOut = await eventually(
        () => api('GET', `/projects/${stuck}/webhooks/${stuckHooks[0].id}/deliveries`, { token: owner.token }),
        (response) => response.body?.data?.some((entry: { error: string | null }) => entry.error?.includes('No answer within 4000 ms')),
        'a timed-out attempt',
      );
      expect(timedOut.body.data.find((entry: { error: string | null }) => entry.error).response_status).toBeNull();
      const metrics = await (await fetch(`${system.url}/metrics`)).text();
      expect(metrics).toMatch(/atrium_webhook_deliveries_total\{outcome="failed"\} [1-9]/);
    } finally {
      await Promise.all([failing.stop(), hanging.stop()]);
    }
  });

  it('is for admins and owners only, validates its input, and never lists a secret', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-roles');
    const admin = await newUser(api, 'hook-admin');
    const member = await newUser(api, 'hook-member');
    const stranger = await newUser(api, 'hook-stranger');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-roles-${Date.now()}` } })).body.data;
    for (const [user, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const)
      expect((await api('POST', `/projects/${project.id}/members`, { token: owner.token, body: { user_id: user.id, role } })).status).toBe(
        201,
      );
    const base = `/projects/${project.id}/webhooks`;

    const byAdmin = await api('POST', base, { token: admin.token, body: { url: receiver.url } });
    expect(byAdmin.status, byAdmin.text).toBe(201);
    const hookId = byAdmin.body.data.id;
    for (const [method, path] of [
      ['GET', base],
      ['POST', base],
      ['DELETE', `${base}/${hookId}`],
      ['POST', `${base}/${hookId}/rotate-secret`],
      ['GET', `${base}/${hookId}/deliveries`],
    ] as const) {
      const body = method === 'POST' && path === base ? { url: receiver.url } : undefined;
      expect((await api(method, path, { token: member.token, body })).status, `${method} ${path}`).toBe(403);
      expect((await api(method, path, { token: stranger.token, body })).status, `${method} ${path}`).toBe(404);
    }
    const listed = await api('GET', base, { token: admin.token });
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty('secret');
    expect(listed.text).not.toContain(byAdmin.body.data.secret);

    const bad = async (body: unknown) => (await api('POST', base, { token: owner.token, body })).status;
    expect(await bad({ url: 'ftp://example.com/' })).toBe(400);
    expect(await bad({ url: 'not a url' })).toBe(400);
    expect(await bad({ url: receiver.url, events: ['projects.v1.nonsense'] })).toBe(400);
    expect(await bad({})).toBe(400);
    expect((await api('POST', `${base}/00000000-0000-4000-8000-000000000000/rotate-secret`, { token: owner.token })).status).toBe(404);
  });
});

describe('webhooks: the SSRF guard', () => {
  let system: ApiSystem;
  beforeAll(async () => {
    // Without WEBHOOKS_ALLOW_PRIVATE_URLS, as in production (and in the one-process mode).
    system = await startInProcessTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => system?.stop());

  it('refuses URLs whose host is loopback, private, link-local, unique-local or unspecified with 422', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-ssrf');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-ssrf-${Date.now()}` } })).body.data;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:8080/',
      'https://localhost/',
      'http://10.0.0.5/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://2130706433/',
    ]) {
      const response = await api('POST', `/projects/${project.id}/webhooks`, { token: owner.token, body: { url } });
      expect(response.status, `${url}: ${response.text}`).toBe(422);
      expect(response.body.error.code).toBe('UNPROCESSABLE_CONTENT');
    }
    expect((await api('GET', `/projects/${project.id}/webhooks`, { token: owner.token })).body.data).toEqual([]);
  });

  it('takes a public address, and at most 25 webhooks per project (409)', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-limit');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-limit-${Date.now()}` } })).body.data;
    // A documentation address (TEST-NET-3): public, given as an IP, so no DNS is needed.
    const create = () =>
      api('POST', `/projects/${project.id}/webhooks`, {
        token: owner.token,
        body: { url: 'https://203.0.113.10/hook', events: ['projects.v1.deleted'] },
      });
    for (let i = 0; i < 25; i++) expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    const page = await api('GET', `/projects/${project.id}/webhooks?limit=20`, { token: owner.token });
    expect(page.body.data).toHaveLength(20);
    const rest = await api('GET', `/projects/${project.id}/webhooks?limit=20&cursor=${encodeURIComponent(page.body.next_cursor)}`, {
      token: owner.token,
    });
    expect(rest.body.data).toHaveLength(5);
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe('webhooks: deliveries wait in PostgreSQL', () => {
  let system: TestSystem;
  let status = 503;
  const received: IncomingHttpHeaders[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(request.headers);
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    system = await startTestSystem(
      { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', WEBHOOKS_RETRY_SCHEDULE: '3s,3s,3s', AUTH_RATE_LIMIT_PER_MINUTE: '0' },
      { webhooks: { pollIntervalMs: 50 } },
    );
  });
  afterAll(async () => {
    await system?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a pending retry outlives a restart of the whole system and is sent by the new one, with the same webhook-id', async () => {
    const owner = await newUser(system.api, 'hook-restart');
    const project = (await system.api('POST', '/projects', { token: owner.token, body: { name: `hooks-restart-${Date.now()}` } })).body
      .data;
    const hook = (
      await system.api('POST', `/projects/${project.id}/webhooks`, { token: owner.token, body: { url, events: ['projects.v1.updated'] } })
    ).body.data;
    await system.api('PUT', `/projects/${project.id}`, { token: owner.token, body: { description: 'before the restart' } });
    await eventually(
      () => received.length,
      (count) => count >= 1,
      'the first attempt',
    );
    await system.restart();
    status = 200;
    await eventually(
      () => received.length,
      (count) => count >= 2,
      'the retry after the restart',
    );
    expect(received[1]!['webhook-id']).toBe(received[0]!['webhook-id']);
    const log = await eventually(
      () => system.api('GET', `/projects/${project.id}/webhooks/${hook.id}/deliveries`, { token: owner.token }),
      (response) => response.body?.data?.[0]?.status === 'succeeded',
      'the delivery log',
    );
    expect(log.body.data.map((entry: { attempt: number; status: string }) => [entry.attempt, entry.status])).toEqual([
      [2, 'succeeded'],
      [1, 'failed'],
    ]);
  });
});

describe('webhooks in the one-process mode', () => {
  let system: ApiSystem;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    system = await startInProcessTestSystem({
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOKS_RETRY_SCHEDULE: '200ms',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  it('delivers from the in-process bus, signed with the shared key’s sealed secret, and retries', async () => {
    const { api } = system;
    const owner = await newUser(api, 'hook-local');
    const project = (await api('POST', '/projects', { token: owner.token, body: { name: `hooks-local-${Date.now()}` } })).body.data;
    const hook = (
      await api('POST', `/projects/${project.id}/webhooks`, {
        token: owner.token,
        body: { url: receiver.url, events: ['environments.v1.created'] },
      })
    ).body.data;
    await api('POST', `/projects/${project.id}/environments`, { token: owner.token, body: { name: 'local' } });
    const attempts = await eventually(
      () => receiver.received.filter((delivery) => JSON.parse(delivery.body).data?.project_id === project.id),
      (list) => list.length >= 2,
      'the delivery and its retry',
    );
    expect(attempts.map((delivery) => delivery.answered)).toEqual([500, 200]);
    for (const delivery of attempts) expect(verifies(hook.secret, delivery)).toBe(true);
    expect(JSON.parse(attempts[1]!.body)).toMatchObject({ type: 'environments.v1.created', data: { name: 'local' } });
  });
});
