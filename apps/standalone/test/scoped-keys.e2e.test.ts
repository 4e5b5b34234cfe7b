import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAtrium } from '@atrium/client';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * Scoped API keys (`POST /auth/api-keys {project_ids, access}`): bound to their projects (any
 * other is 404, as for a non-member), a read key to reads (403), and never past their owner's
 * role of the moment — over HTTP and through the typed client over NATS alike.
 */

let system: TestSystem;
type User = Awaited<ReturnType<typeof newUser>>;
let owner: User;
let ci: User;
let projectA: string;
let projectB: string;
let stagingA: string;

const project = async (token: string, name: string) =>
  (await system.api('POST', '/projects', { token, body: { name: `${name}-${Date.now().toString(36)}` } })).body.data.id as string;

async function addMember(projectId: string, user: User, role: 'admin' | 'member' | 'viewer') {
  const added = await system.api('POST', `/projects/${projectId}/members`, { token: owner.token, body: { user_id: user.id, role } });
  expect(added.status).toBe(201);
  return added.body.data.id as string;
}

const key = async (token: string, body: Record<string, unknown>) =>
  system.api('POST', '/auth/api-keys', { token, body: { name: 'ci', ...body } });

beforeAll(async () => {
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_PER_MINUTE: '0' });
  owner = await newUser(system.api, 'scoped-owner');
  ci = await newUser(system.api, 'scoped-ci');
  projectA = await project(owner.token, 'scoped-a');
  projectB = await project(owner.token, 'scoped-b');
  stagingA = (
    await system.api('POST', `/projects/${projectA}/environments`, { token: owner.token, body: { name: 'staging', type: 'staging' } })
  ).body.data.id;
  await system.api('PUT', `/projects/${projectA}/environments/${stagingA}/variables/TOKEN`, {
    token: owner.token,
    body: { value: 's3cret' },
  });
});
afterAll(() => system?.stop());

describe('creating a scoped key', () => {
  it('answers and lists project_ids and access (null and write for an unscoped key)', async () => {
    const scoped = await key(owner.token, { project_ids: [projectA], access: 'read' });
    expect(scoped.status).toBe(201);
    expect(scoped.body.data).toMatchObject({ project_ids: [projectA], access: 'read' });
    const plain = await key(owner.token, {});
    expect(plain.body.data).toMatchObject({ project_ids: null, access: 'write' });
    const listed = (await system.api('GET', '/auth/api-keys?limit=100', { token: owner.token })).body.data as { id: string }[];
    expect(listed.find((k) => k.id === scoped.body.data.id)).toMatchObject({ project_ids: [projectA], access: 'read' });
    expect(listed.find((k) => k.id === plain.body.data.id)).toMatchObject({ project_ids: null, access: 'write' });
  });

  it('refuses a project the creator is not in (404), an unknown access and an empty or oversized list (400)', async () => {
    const stranger = await newUser(system.api, 'scoped-stranger');
    expect((await key(stranger.token, { project_ids: [projectA] })).status).toBe(404);
    expect((await key(stranger.token, { project_ids: ['550e8400-e29b-41d4-a716-446655440000'] })).status).toBe(404);
    expect((await key(owner.token, { access: 'admin' })).status).toBe(400);
    expect((await key(owner.token, { project_ids: [] })).status).toBe(400);
    const many = Array.from({ length: 101 }, (_, i) => `550e8400-e29b-41d4-a716-${String(i).padStart(12, '0')}`);
    expect((await key(owner.token, { project_ids: many })).status).toBe(400);
  });
});

describe('a CI key scoped read-only to one project', () => {
  let ciKey: string;
  beforeAll(async () => {
    ciKey = (await key(owner.token, { project_ids: [projectA], access: 'read' })).body.data.key;
  });

  it("reads that project's environments and variables", async () => {
    expect((await system.api('GET', `/projects/${projectA}`, { token: ciKey })).status).toBe(200);
    const environments = await system.api('GET', `/projects/${projectA}/environments`, { token: ciKey });
    expect(environments.status).toBe(200);
    expect(environments.body.data.map((e: { name: string }) => e.name).sort()).toEqual(['production', 'staging']);
    const variables = await system.api('GET', `/projects/${projectA}/environments/${stagingA}/variables`, { token: ciKey });
    expect(variables.status).toBe(200);
    expect(variables.body.data).toEqual([expect.objectContaining({ key: 'TOKEN', value: 's3cret' })]);
  });

  it('is refused everywhere else: 404 for other projects, 403 for writes, and GET /projects lists only its project', async () => {
    expect((await system.api('GET', `/projects/${projectB}`, { token: ciKey })).status).toBe(404);
    expect((await system.api('GET', `/projects/${projectB}/environments`, { token: ciKey })).status).toBe(404);
    expect((await system.api('GET', `/projects/${projectB}/members`, { token: ciKey })).status).toBe(404);
    expect((await system.api('PUT', `/projects/${projectB}`, { token: ciKey, body: { description: 'x' } })).status).toBe(404);
    expect(
      (await system.api('PUT', `/projects/${projectA}/environments/${stagingA}/variables/TOKEN`, { token: ciKey, body: { value: 'x' } }))
        .status,
    ).toBe(403);
    expect((await system.api('PUT', `/projects/${projectA}`, { token: ciKey, body: { description: 'x' } })).status).toBe(403);
    expect(
      (await system.api('POST', `/projects/${projectA}/environments`, { token: ciKey, body: { name: 'qa', type: 'staging' } })).status,
    ).toBe(403);
    const listed = await system.api('GET', '/projects', { token: ciKey });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([projectA]);
    // The account's own operations: no scoped key.
    expect((await system.api('POST', '/projects', { token: ciKey, body: { name: 'nope' } })).status).toBe(403);
    expect((await system.api('GET', '/auth/api-keys', { token: ciKey })).status).toBe(403);
    expect((await key(ciKey, {})).status).toBe(403);
    expect((await system.api('PUT', '/auth/me', { token: ciKey, body: { name: 'x' } })).status).toBe(403);
    expect((await system.api('GET', '/auth/me', { token: ciKey })).status).toBe(200);
    // The variable is untouched.
    const variables = await system.api('GET', `/projects/${projectA}/environments/${stagingA}/variables`, { token: owner.token });
    expect(variables.body.data[0].value).toBe('s3cret');
  });

  it('is bound the same through the typed client over NATS (credentials.exchange)', async () => {
    const atrium = await connectAtrium({
      servers: system.natsUrl,
      pass: system.natsCredentials.client?.password,
      credential: ciKey,
      timeoutMs: 20_000,
    });
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => 'served',
        (error: { code?: string }) => error.code ?? String(error),
      );
    try {
      const environments = await atrium.environments.list({ projectId: projectA });
      expect(environments.data.length).toBe(2);
      expect(await refusal(atrium.environments.list({ projectId: projectB }))).toBe('NOT_FOUND');
      expect(await refusal(atrium.projects.get({ id: projectB }))).toBe('NOT_FOUND');
      expect(await refusal(atrium.variables.put({ projectId: projectA, envId: stagingA, key: 'TOKEN', value: 'x' }))).toBe('FORBIDDEN');
      expect(await refusal(atrium.projects.create({ name: 'nope-nats' }))).toBe('FORBIDDEN');
      expect(await refusal(atrium.apiKeys.list({}))).toBe('FORBIDDEN');
      expect((await atrium.projects.list({})).data.map((p) => p.id)).toEqual([projectA]);
    } finally {
      await atrium.close();
    }
  });

  it("is not handed the answer of its owner's earlier write by replaying its Idempotency-Key", async () => {
    const other = await newUser(system.api, 'scoped-added');
    const headers = { 'idempotency-key': `scoped-${Date.now()}` };
    const body = { user_id: other.id, role: 'viewer' };
    const first = await system.api('POST', `/projects/${projectA}/members`, { token: owner.token, body, headers });
    expect(first.status).toBe(201);
    expect((await system.api('POST', `/projects/${projectA}/members`, { token: owner.token, body, headers })).status).toBe(201);
    expect((await system.api('POST', `/projects/${projectA}/members`, { token: ciKey, body, headers })).status).toBe(403);
  });

  it('may sign itself out: the key is revoked', async () => {
    const own = (await key(owner.token, { project_ids: [projectA], access: 'read' })).body.data.key;
    expect((await system.api('POST', '/auth/logout', { token: own })).status).toBe(204);
    expect((await system.api('GET', `/projects/${projectA}`, { token: own })).status).toBe(401);
  });
});

describe("a scoped key never does more than its owner's role of the moment", () => {
  it('demoting the owner to viewer limits a write key to reads at once; removing them makes it 404 there', async () => {
    const memberId = await addMember(projectA, ci, 'member');
    const writeKey = (await key(ci.token, { project_ids: [projectA], access: 'write' })).body.data.key;
    const put = (value: string) =>
      system.api('PUT', `/projects/${projectA}/environments/${stagingA}/variables/CI`, { token: writeKey, body: { value } });
    expect((await put('one')).status).toBe(200);
    // Not beyond the owner's own role: a member may not change the project.
    expect((await system.api('PUT', `/projects/${projectA}`, { token: writeKey, body: { description: 'x' } })).status).toBe(403);

    const demoted = await system.api('PUT', `/projects/${projectA}/members/${memberId}`, { token: owner.token, body: { role: 'viewer' } });
    expect(demoted.status).toBe(200);
    expect((await put('two')).status).toBe(403);
    expect((await system.api('GET', `/projects/${projectA}/environments/${stagingA}/variables`, { token: writeKey })).status).toBe(200);

    expect((await system.api('DELETE', `/projects/${projectA}/members/${memberId}`, { token: owner.token })).status).toBe(204);
    expect((await system.api('GET', `/projects/${projectA}`, { token: writeKey })).status).toBe(404);
    expect((await system.api('GET', `/projects/${projectA}/environments`, { token: writeKey })).status).toBe(404);
    expect((await put('three')).status).toBe(404);
    expect((await system.api('GET', '/projects', { token: writeKey })).body.data).toEqual([]);
  });
});
