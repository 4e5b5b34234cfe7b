import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

interface ReadyzBody {
  status: string;
  checks: Record<string, string>;
}

/** Polls until `accept` holds: readiness is cached briefly and reconnection takes a moment. */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('outages: a service down, then the broker down and back', () => {
  let nats: RunningNats;
  let storeDir: string;
  let port: number;
  let system: TestSystem;
  let token: string;

  const readyz = async () => {
    const response = await fetch(`${system.url}/readyz`);
    return { status: response.status, body: (await response.json()) as ReadyzBody };
  };

  beforeAll(async () => {
    // A broker of this file's own, so stopping it disturbs no other test file.
    storeDir = await mkdtemp(join(tmpdir(), 'atrium-outage-'));
    nats = await startNatsServer({ storeDir });
    port = Number(new URL(nats.url).port);
    // A deadline far beyond the test's timeout: a call that waits it out fails the test.
    system = await startTestSystem({ NATS_URL: nats.url, NATS_REQUEST_TIMEOUT_MS: '600000' });
    token = (await newUser(system.api)).token;
  });
  afterAll(async () => {
    await system?.stop();
    await nats?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('keeps the gateway ready when one service is down; only its routes answer 503', async () => {
    expect(await readyz()).toEqual({
      status: 200,
      body: {
        status: 'ready',
        checks: { nats: 'ok', identity: 'ok', projects: 'ok', environments: 'ok' },
        details: { dead_letters: { identity: {}, projects: {}, environments: {} } },
      },
    });
    await system.stopService('projects');

    const ready = await eventually(readyz, ({ body }) => body.checks.projects !== 'ok');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks).toEqual({
      nats: 'ok',
      identity: 'ok',
      environments: 'ok',
      projects: 'The projects service is not available',
    });

    const projects = await system.api('GET', '/projects', { token });
    expect(projects.status).toBe(503);
    expect(projects.body).toEqual({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'The projects service is not available' },
    });
    expect((await system.api('GET', '/auth/me', { token })).status).toBe(200);
  });

  it('is unready while the broker is down, fails calls at once with 503, and recovers when it is back', async () => {
    await nats.stop();

    const down = await eventually(readyz, ({ status }) => status === 503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks.nats).not.toBe('ok');

    // With a ten-minute deadline, only failing fast answers within the test's timeout.
    const me = await system.api('GET', '/auth/me', { token });
    expect(me.status).toBe(503);
    expect(me.body).toEqual({ success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'The identity service is not available' } });
    const login = await system.api('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-pass' } });
    expect(login.status).toBe(503);

    nats = await startNatsServer({ port, storeDir });
    // Ready (200) comes with NATS alone (one service down leaves the gateway ready): wait for
    // identity to have subscribed again too.
    const back = await eventually(readyz, ({ status, body }) => status === 200 && body.checks.identity === 'ok');
    expect(back.body.checks).toMatchObject({ nats: 'ok', identity: 'ok' });
    const again = await eventually(
      () => system.api('GET', '/auth/me', { token }),
      ({ status }) => status !== 503,
    );
    expect(again.status).toBe(200);
  });
});
