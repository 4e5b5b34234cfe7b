import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { CALLER_NAMES, productionAuthorization } from '@atrium/contract';
import { busAuth, generateBusCredentials, natsServerBinary, startNatsServer, testBusAuthorization } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import { connectNats } from '@atrium/service-runtime';
import type { AppName } from '@atrium/contract';
import { refusal } from './support/bus.js';

const credentials = generateBusCredentials();
let nats: RunningNats;
const open: NatsConnection[] = [];
const as = async (app: AppName) => {
  const nc = await connectNats(nats.url, app, busAuth(credentials, app));
  open.push(nc);
  return nc;
};

beforeAll(async () => {
  nats = await startNatsServer({ config: testBusAuthorization(credentials) });
});
afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await nats?.stop();
});

describe('the authenticated bus', () => {
  it("refuses a client without credentials, or with another app's user and a wrong password", async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: nats.url, reconnect: false, user: 'projects', pass: 'guess' })).rejects.toThrow(/authorization/i);
  });

  it('lets an app publish only the calls, events and notifications the contract gives it', async () => {
    const environments = await as('environments');
    expect(await refusal(environments, () => environments.publish('svc.identity.v1.credentials.authenticate', '{}'))).toMatch(/Publish/);
    expect(await refusal(environments, () => environments.publish('svc.projects.v1.projects.delete', '{}'))).toMatch(/Publish/);
    expect(await refusal(environments, () => environments.publish('ntf.identity.v1.credential_revoked', '{}'))).toMatch(/Publish/);
    expect(await refusal(environments, () => environments.publish('svc.projects.v1.memberships.role', '{}'))).toBeUndefined();

    const gateway = await as('gateway');
    expect(await refusal(gateway, () => gateway.publish('svc.projects.v1.projects.get', '{}'))).toBeUndefined();
    expect(await refusal(gateway, () => gateway.publish('svc.identity.v1.credentials.exchange', '{}'))).toMatch(/Publish/);

    // A client outside the services: the public operations and the credential exchange, nothing internal.
    const client = await connectNats(nats.url, 'client', busAuth(credentials, 'client'));
    open.push(client);
    expect(await refusal(client, () => client.publish('svc.projects.v1.projects.get', '{}'))).toBeUndefined();
    expect(await refusal(client, () => client.publish('svc.identity.v1.credentials.exchange', '{}'))).toBeUndefined();
    expect(await refusal(client, () => client.publish('svc.identity.v1.credentials.authenticate', '{}'))).toMatch(/Publish/);
    expect(await refusal(gateway, () => gateway.publish('evt.projects.v1.deleted', '{}'))).toMatch(/Publish/);

    // The deployer: resolving an environment's variables, nothing else; no one else may.
    const deployer = await as('deployer');
    expect(await refusal(deployer, () => deployer.publish('svc.environments.v1.variables.resolve', '{}'))).toBeUndefined();
    expect(await refusal(deployer, () => deployer.publish('svc.environments.v1.variables.list', '{}'))).toMatch(/Publish/);
    expect(await refusal(deployer, () => deployer.publish('svc.projects.v1.projects.get', '{}'))).toMatch(/Publish/);
    // (Not a service here: this broker's events namespace is `*`, so `*.environments.>` is one of
    // environments' own subjects; deployer.e2e.test.ts checks them on a system's own namespace.)
    for (const [name, nc] of Object.entries({ client, gateway }))
      expect(await refusal(nc, () => nc.publish('svc.environments.v1.variables.resolve', '{}')), name).toMatch(/Publish/);
  });

  it('lets an app take calls only on its own subjects, and read only its own replies', async () => {
    const gateway = await as('gateway');
    expect(await refusal(gateway, () => gateway.subscribe('svc.projects.v1.>'))).toMatch(/Subscription/);
    expect(await refusal(gateway, () => gateway.subscribe('_INBOX_projects.>'))).toMatch(/Subscription/);
    const projects = await as('projects');
    expect(await refusal(projects, () => projects.subscribe('svc.identity.v1.>'))).toMatch(/Subscription/);
    expect(await refusal(projects, () => projects.subscribe('svc.projects.v1.>', { queue: 'svc-projects' }))).toBeUndefined();
    // Its subscription answers nothing: let it go before the next test calls projects.
    await projects.close();
  });

  it('answers a permitted call end to end, reply included', async () => {
    const projects = await as('projects');
    projects.subscribe('svc.projects.v1.projects.get', {
      queue: 'svc-projects',
      callback: (_error, msg) => {
        msg.respond('pong');
      },
    });
    await projects.flush();
    const gateway = await as('gateway');
    expect((await gateway.request('svc.projects.v1.projects.get', '{}', { timeout: 10_000 })).string()).toBe('pong');
  });
});

describe("infra's nats-server configuration", () => {
  it("is the contract's bus permissions, as generated", () => {
    const committed = readFileSync(new URL('../../../infra/k8s/nats-authorization.conf', import.meta.url), 'utf8');
    expect(committed).toBe(productionAuthorization());
  });

  it('is valid for nats-server, with the passwords from its environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-nats-conf-'));
    writeFileSync(join(dir, 'nats.conf'), `port: 4222\n${productionAuthorization()}`);
    const env = Object.fromEntries(CALLER_NAMES.map((app) => [`ATRIUM_${app.toUpperCase()}_NATS_PASSWORD`, 'x']));
    const check = spawnSync(natsServerBinary(), ['-c', join(dir, 'nats.conf'), '-t'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(check.status, check.stderr + check.stdout).toBe(0);
  });
});
