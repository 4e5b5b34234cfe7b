import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceHarness } from '@atrium/test-kit';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import type { CallMeta, CallReply, ServiceTransport } from '@atrium/nats-trpc';
import { serviceClients } from '@atrium/service-runtime';
import type { AppName } from '@atrium/contract';
import { startProjectsHarness } from './support/projects-harness.js';

let harness: ServiceHarness;
let raw: NatsConnection;
let anyone: NatsConnection;
let environmentsBus: NatsConnection;
/**
 * A transport signing as `app`, on a connection the bus lets publish anything: the signatures
 * alone must hold, as on a bus without authentication (defence in depth).
 */
let as: (app: AppName) => ServiceTransport;
/** What the environments process itself sends: its bus identity and its key. */
let fromEnvironments: () => ServiceTransport;

beforeAll(async () => {
  harness = await startProjectsHarness();
  // Valid bus credentials (the gateway's), but no signing key of its own: only what it signs with the test's keys counts.
  raw = await harness.connectBus('gateway');
  anyone = await harness.connectBus('test');
  environmentsBus = await harness.connectBus('environments');
  as = (app) => createNatsTransport(anyone, { timeoutMs: 20_000, signer: harness.keys[app].signer });
  fromEnvironments = () => createNatsTransport(environmentsBus, { timeoutMs: 20_000, signer: harness.keys.environments.signer });
});
afterAll(async () => {
  await Promise.all([raw?.close(), anyone?.close(), environmentsBus?.close()]);
  await harness?.stop();
});

const user = () => ({ userId: randomUUID(), credentialId: randomUUID() });

/** A request straight on the bus with whatever headers a forger likes. */
async function rawRequest(procedure: string, input: unknown, set: Record<string, string>): Promise<CallReply> {
  const h = headers();
  h.set('atrium-request-id', randomUUID());
  h.set('atrium-procedure-kind', 'query');
  h.set('atrium-deadline', String(Date.now() + 10_000));
  for (const [name, value] of Object.entries(set)) h.set(name, value);
  const reply = await raw.request(`svc.projects.v1.${procedure}`, JSON.stringify(input), { headers: h, timeout: 20_000 });
  return reply.json<CallReply>();
}

describe('a caller no one can forge', () => {
  it('refuses a raw client that names a user in headers, with UNAUTHORIZED', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: `forged-${Date.now()}` }, owner);
    const forged = await rawRequest(
      'projects.get',
      { id: project.id },
      { 'atrium-user-id': owner.userId, 'atrium-credential-id': randomUUID() },
    );
    expect(forged).toMatchObject({ error: { data: { code: 'UNAUTHORIZED' } } });
    expect(JSON.stringify(forged)).not.toContain(project.name);
  });

  it('refuses a garbled assertion and a genuine one replayed on another procedure', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: `replayed-${Date.now()}` }, owner);
    expect(await rawRequest('projects.get', { id: project.id }, { 'atrium-assertion': 'eyJhbGciOiJFZERTQSJ9.e30.AAAA' })).toMatchObject({
      error: { data: { code: 'UNAUTHORIZED' } },
    });

    // Capture what the gateway signed for reading this project, and replay it to delete it.
    const requestId = randomUUID();
    const deadline = Date.now() + 10_000;
    const assertion = harness.keys.gateway.signer.sign(
      { service: 'projects', path: 'projects.get', kind: 'query', input: { id: project.id }, meta: { requestId, caller: owner } },
      deadline,
    );
    const headersOfGet = { 'atrium-request-id': requestId, 'atrium-deadline': String(deadline), 'atrium-assertion': assertion };
    expect(await rawRequest('projects.get', { id: project.id }, headersOfGet)).toMatchObject({ result: { id: project.id } });
    expect(await rawRequest('projects.delete', { id: project.id }, { ...headersOfGet, 'atrium-procedure-kind': 'mutation' })).toMatchObject(
      {
        error: { data: { code: 'UNAUTHORIZED' } },
      },
    );
    // …nor with a later deadline than the one it was signed for.
    expect(
      await rawRequest('projects.get', { id: project.id }, { ...headersOfGet, 'atrium-deadline': String(deadline + 60_000) }),
    ).toMatchObject({ error: { data: { code: 'UNAUTHORIZED' } } });
    await expect(harness.call('projects.get', 'query', { id: project.id }, owner)).resolves.toMatchObject({ id: project.id });
  });

  it('refuses unsigned calls, even to operations that need no user', async () => {
    const unsigned = createNatsTransport(raw, { timeoutMs: 20_000 });
    await expect(
      unsigned.call({ service: 'projects', path: 'health.check', kind: 'query', input: undefined, meta: { requestId: 'r' } }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('internal operations', () => {
  const health = (app: AppName) =>
    as(app).call({ service: 'projects', path: 'health.check', kind: 'query', input: undefined, meta: { requestId: randomUUID() } });

  it('answer only the apps the contract names', async () => {
    await expect(health('gateway')).resolves.toEqual({ service: 'projects', database: 'ok', dead_letters: {} });
    await expect(health('environments')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const role = await as('gateway')
      .call({
        service: 'projects',
        path: 'memberships.role',
        kind: 'query',
        input: { project_id: randomUUID() },
        meta: { requestId: 'r', caller: user() },
      })
      .catch((error: unknown) => error);
    expect(role).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('typed calls from one service to another', () => {
  /** What the environments service holds while handling a call the gateway made for `caller`. */
  function environmentsHandling(caller: { userId: string; credentialId: string }, deadline = Date.now() + 10_000): CallMeta {
    const requestId = randomUUID();
    const assertion = harness.keys.gateway.signer.sign(
      { service: 'environments', path: 'environments.create', kind: 'mutation', input: {}, meta: { requestId, caller } },
      deadline,
    );
    return { requestId, deadline, caller, assertion };
  }

  it('act for the user who called, through the contract types', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: `s2s-${Date.now()}` }, owner);
    const services = serviceClients(fromEnvironments(), environmentsHandling(owner));
    const answer = await services.projects.memberships.role({ project_id: project.id });
    expect(answer).toEqual({ role: 'owner' });
    await expect(
      serviceClients(as('environments'), environmentsHandling(user())).projects.memberships.role({ project_id: project.id }),
    ).resolves.toEqual({
      role: null,
    });
  });

  it("cannot speak for a user without the assertion that user's call brought", async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: `s2s-forge-${Date.now()}` }, owner);
    // Without a user: refused, the operation acts for one.
    const anonymous = serviceClients(as('environments'), { requestId: randomUUID(), deadline: Date.now() + 10_000 });
    await expect(anonymous.projects.memberships.role({ project_id: project.id })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // Naming the user itself: only the gateway may.
    const claimed = await as('environments')
      .call({
        service: 'projects',
        path: 'memberships.role',
        kind: 'query',
        input: { project_id: project.id },
        meta: { requestId: 'r', caller: owner },
      })
      .catch((error: unknown) => error);
    expect(claimed).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('do not start once the deadline of the call they serve has passed', async () => {
    const handling = environmentsHandling(user(), Date.now() + 10_000);
    const services = serviceClients(as('environments'), { ...handling, deadline: Date.now() - 1 });
    await expect(services.projects.memberships.role({ project_id: randomUUID() })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      reason: 'deadline-passed',
    });
  });
});

describe('reads made together', () => {
  it('answers each caller for itself when the calls of one turn share a statement', async () => {
    const [alice, bob] = [user(), user()];
    const alices = await Promise.all(
      [1, 2, 3].map((n) => harness.call('projects.create', 'mutation', { name: `together-a${n}-${Date.now()}` }, alice)),
    );
    const bobs = await harness.call('projects.create', 'mutation', { name: `together-b-${Date.now()}` }, bob);
    // Made in one turn: they leave in one write, and projects reads their memberships in one statement.
    const outcomes = await Promise.allSettled([
      ...alices.map((project) => harness.call('projects.get', 'query', { id: project.id }, alice)),
      harness.call('projects.get', 'query', { id: alices[0].id }, bob),
      harness.call('projects.get', 'query', { id: bobs.id }, bob),
      harness.call('projects.get', 'query', { id: bobs.id }, alice),
      harness.call('projects.get', 'query', { id: randomUUID() }, alice),
    ]);
    const answers = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value.name : (outcome.reason as { code?: string }).code,
    );
    expect(answers).toEqual([...alices.map((project) => project.name), 'NOT_FOUND', bobs.name, 'NOT_FOUND', 'NOT_FOUND']);
  });
});
