import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import '@atrium/local-infra/provided-context';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { buildGateway, checkReadiness } from '@atrium/gateway';
import { createNatsBroadcast } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { folderUploadStore } from '@atrium/uploads';
import { createLogger } from '@atrium/service-runtime';
import { apiClient, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

describe('a gateway whose services are not running', () => {
  let nc: NatsConnection;
  let app: Awaited<ReturnType<typeof buildGateway>>;
  let url: string;

  beforeAll(async () => {
    // The unrestricted test user: it calls made-up services no app may call.
    const test = inject('natsCredentials').test;
    nc = await connect({ servers: inject('natsUrl'), user: test?.user, pass: test?.password });
    // A service prefix nobody serves: the same as every service being down.
    const transport = createNatsTransport(nc, { timeoutMs: 2000 });
    const unserved = { call: (call: Parameters<typeof transport.call>[0]) => transport.call({ ...call, service: `${call.service}-down` }) };
    app = await buildGateway({
      transport: unserved,
      broadcast: createNatsBroadcast(nc),
      log: createLogger('gateway', 'silent'),
      uploads: folderUploadStore(join(tmpdir(), `atrium-uploads-${process.pid}`)),
      readiness: () => checkReadiness(unserved, () => nc.rtt()),
      corsOrigins: [],
      authCacheTtlMs: 30_000,
      authCacheMax: 100,
      rateLimitPerMinute: 0,
      authRateLimitPerMinute: 0,
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await nc?.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE from "no responders", without waiting out the deadline', async () => {
    const api = apiClient(url);
    const login = await api('POST', '/auth/login', { body: { email: 'a@example.com', password: 'whatever-pass' } });
    expect(login.status).toBe(503);
    expect(login.body).toEqual({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/^The identity\S* service is not available$/) },
    });
    const authenticated = await api('GET', '/projects', { token: 'ats_anything' });
    expect(authenticated.status).toBe(503);
  });

  it('stays ready (it reaches the broker) and names each missing service', async () => {
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.nats).toBe('ok');
    expect(body.checks.identity).toMatch(/not available/);
    expect(body.checks.projects).toMatch(/not available/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('a healthy system', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => system?.stop());

  it('is ready when NATS and every service answer', async () => {
    const response = await fetch(`${system.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { nats: 'ok', identity: 'ok', projects: 'ok', environments: 'ok' },
      // No consumer has given up on an event.
      details: { dead_letters: { identity: {}, projects: {}, environments: {} } },
    });
  });

  it('rate-limits sign-in attempts with 429 and Retry-After', async () => {
    const attempt = () => system.api('POST', '/auth/login', { body: { email: 'guess@example.com', password: 'guess-guess' } });
    for (let i = 0; i < 3; i += 1) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same route spelled differently is the same route, with the same budget.
    for (const path of ['/auth/login/', '/AUTH/LOGIN', '/auth/./Login', '/Auth/Register/']) {
      const variant = await system.api('POST', path, { body: { email: 'guess@example.com', password: 'guess-guess' } });
      expect(variant.status, path).toBe(429);
    }
    // Other routes have their own budget.
    expect((await system.api('GET', '/projects')).status).toBe(401);
  });
});
