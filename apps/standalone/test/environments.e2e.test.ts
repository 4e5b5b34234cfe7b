import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironmentExample } from '@atrium/contract';
import type { ProjectRole } from '@atrium/contract';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { ApiClient, TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.stop());

let counter = 0;
async function newProject(api: ApiClient, token: string) {
  const response = await api('POST', '/projects', { token, body: { name: `envs-${Date.now()}-${counter++}` } });
  expect(response.status).toBe(201);
  return response.body.data.id as string;
}

/** The owner sets `userId`'s membership through the members API: projects announces each change. */
async function setMembership(ownerToken: string, projectId: string, userId: string, role: Exclude<ProjectRole, 'owner'> | null) {
  const { api } = system;
  const members = await api('GET', `/projects/${projectId}/members?limit=100`, { token: ownerToken });
  const current = members.body.data.find((member: { user_id: string }) => member.user_id === userId);
  const path = `/projects/${projectId}/members/${current?.id}`;
  const response = !role
    ? await api('DELETE', path, { token: ownerToken })
    : current
      ? await api('PUT', path, { token: ownerToken, body: { role } })
      : await api('POST', `/projects/${projectId}/members`, { token: ownerToken, body: { user_id: userId, role } });
  expect(response.status, response.text).toBeLessThan(300);
}

describe('Environments API, as a new user would try it', () => {
  it('walks the issue through: default, create, set-default, variables, clone, delete rules, outsiders', async () => {
    const { api } = system;
    const owner = await newUser(api, 'env-owner');
    const token = owner.token;
    const projectId = await newProject(api, token);
    const base = `/projects/${projectId}/environments`;

    // A new project already lists its production default (read-your-writes).
    const initial = await api('GET', base, { token });
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ success: true, next_cursor: null });
    expect(initial.body.data).toEqual([
      expect.objectContaining({
        project_id: projectId,
        name: 'production',
        display_name: 'production',
        type: 'production',
        is_default: true,
      }),
    ]);
    const production = initial.body.data[0];

    // Create staging with the spec's example fields.
    const created = await api('POST', base, { token, body: createEnvironmentExample });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({
      ...createEnvironmentExample,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: projectId,
      is_default: false,
      version: 1,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    const staging = created.body.data;
    expect((await api('POST', base, { token, body: { name: 'staging' } })).status).toBe(409);
    expect((await api('POST', base, { token, body: { name: 'Bad Name' } })).status).toBe(400);
    expect((await api('POST', base, { token, body: { name: 'x', type: 'prod' } })).status).toBe(400);

    // Set it default: the old default no longer is.
    const moved = await api('POST', `${base}/${staging.id}/set-default`, { token });
    expect(moved.status).toBe(200);
    expect(moved.body.data).toMatchObject({ id: staging.id, is_default: true });
    expect((await api('GET', `${base}/${production.id}`, { token })).body.data.is_default).toBe(false);

    // Variables, one secret: never returned.
    const plain = await api('PUT', `${base}/${staging.id}/variables/LOG_LEVEL`, { token, body: { value: 'debug' } });
    expect(plain.status).toBe(200);
    expect(plain.body.data).toEqual({
      key: 'LOG_LEVEL',
      value: 'debug',
      secret: false,
      version: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const secret = await api('PUT', `${base}/${staging.id}/variables/API_TOKEN`, {
      token,
      body: { value: 'tok-very-secret-1', secret: true },
    });
    expect(secret.status).toBe(200);
    expect(secret.body.data).toMatchObject({ key: 'API_TOKEN', value: null, secret: true });
    // Rewriting a secret without saying `secret` keeps it secret.
    const rewritten = await api('PUT', `${base}/${staging.id}/variables/API_TOKEN`, { token, body: { value: 'tok-very-secret-2' } });
    expect(rewritten.body.data).toMatchObject({ value: null, secret: true });
    expect((await api('PUT', `${base}/${staging.id}/variables/1BAD`, { token, body: { value: 'x' } })).status).toBe(400);
    const listed = await api('GET', `${base}/${staging.id}/variables`, { token });
    expect(listed.body.data.map((v: { key: string; value: string | null }) => [v.key, v.value])).toEqual([
      ['LOG_LEVEL', 'debug'],
      ['API_TOKEN', null],
    ]);
    expect(listed.text).not.toContain('tok-very-secret');

    // Clone to staging-v2 with its variables.
    const cloned = await api('POST', `${base}/${staging.id}/clone`, {
      token,
      body: { name: 'staging-v2', type: 'staging', description: 'Cloned from staging' },
    });
    expect(cloned.status).toBe(201);
    expect(cloned.body.data).toMatchObject({
      name: 'staging-v2',
      display_name: 'Staging',
      type: 'staging',
      description: 'Cloned from staging',
      color: '#F59E0B',
      git_branch: 'develop',
      is_default: false,
    });
    const copy = cloned.body.data;
    const copied = await api('GET', `${base}/${copy.id}/variables`, { token });
    expect(copied.body.data.map((v: { key: string; value: string | null; secret: boolean }) => [v.key, v.value, v.secret])).toEqual([
      ['LOG_LEVEL', 'debug', false],
      ['API_TOKEN', null, true],
    ]);
    expect((await api('POST', `${base}/${staging.id}/clone`, { token, body: { name: 'staging-v2' } })).status).toBe(409);
    // The copy's secret was sealed for the copy: cloning the clone opens it again.
    expect((await api('POST', `${base}/${copy.id}/clone`, { token, body: { name: 'staging-v3' } })).status).toBe(201);

    // Delete: never the default; a non-empty one only with force=true.
    const refusedDefault = await api('DELETE', `${base}/${staging.id}?force=true`, { token });
    expect(refusedDefault.status).toBe(409);
    expect(refusedDefault.body.error.message).toMatch(/default/);
    const refusedFull = await api('DELETE', `${base}/${copy.id}`, { token });
    expect(refusedFull.status).toBe(409);
    expect(refusedFull.body.error.message).toMatch(/force=true/);
    expect((await api('DELETE', `${base}/${copy.id}?force=true`, { token })).status).toBe(204);
    expect((await api('GET', `${base}/${copy.id}`, { token })).status).toBe(404);
    expect((await api('DELETE', `${base}/${production.id}`, { token })).status).toBe(204);
    expect(await queryDatabase(system.databaseUrl, 'select 1 from environments.variables where environment_id = $1', [copy.id])).toEqual(
      [],
    );

    // An outsider gets 404 for everything in the project, exactly as for a project that does not exist.
    const outsider = await newUser(api, 'outsider');
    for (const [method, path] of [
      ['GET', base],
      ['GET', `${base}/${staging.id}`],
      ['GET', `${base}/${staging.id}/variables`],
      ['DELETE', `${base}/${staging.id}/variables/LOG_LEVEL`],
    ] as const) {
      const response = await api(method, path, { token: outsider.token });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.message).toBe('Project not found');
    }
  });

  it('applies the role table: viewers read, members write, admins delete, a removed member gets 404 at once', async () => {
    const { api } = system;
    const owner = await newUser(api, 'roles-owner');
    const projectId = await newProject(api, owner.token);
    const base = `/projects/${projectId}/environments`;
    const created = await api('POST', base, { token: owner.token, body: { name: 'dev' } });
    const dev = created.body.data.id;
    const user = await newUser(api, 'roles-user');

    await setMembership(owner.token, projectId, user.id, 'viewer');
    expect((await api('GET', base, { token: user.token })).status).toBe(200);
    const forbidden = await api('POST', base, { token: user.token, body: { name: 'qa' } });
    expect(forbidden.status).toBe(403);
    expect((await api('PUT', `${base}/${dev}/variables/A`, { token: user.token, body: { value: '1' } })).status).toBe(403);

    // Promoted: the cached viewer role is forgotten at once (projects announces the change after its commit).
    await setMembership(owner.token, projectId, user.id, 'member');
    await expect.poll(async () => (await api('POST', base, { token: user.token, body: { name: 'qa' } })).status).toBe(201);
    expect((await api('DELETE', `${base}/${dev}`, { token: user.token })).status).toBe(403);

    await setMembership(owner.token, projectId, user.id, 'admin');
    await expect.poll(async () => (await api('DELETE', `${base}/${dev}`, { token: user.token })).status).toBe(204);

    // Removed: 404 as an outsider, without waiting for the cache to expire.
    await setMembership(owner.token, projectId, user.id, null);
    await expect.poll(async () => (await api('GET', base, { token: user.token })).status, { timeout: 1000 }).toBe(404);
  });

  it('treats an environment id of another project as not found, on every route', async () => {
    const { api } = system;
    const { token } = await newUser(api, 'two-projects');
    const [mine, theirs] = [await newProject(api, token), await newProject(api, token)];
    const foreign = (await api('GET', `/projects/${theirs}/environments`, { token })).body.data[0].id;
    const base = `/projects/${mine}/environments/${foreign}`;
    for (const [method, path, body] of [
      ['GET', base, undefined],
      ['PUT', base, { description: 'x' }],
      ['DELETE', `${base}?force=true`, undefined],
      ['POST', `${base}/set-default`, undefined],
      ['POST', `${base}/clone`, { name: 'stolen' }],
      ['GET', `${base}/variables`, undefined],
      ['PUT', `${base}/variables/K`, { value: 'v' }],
      ['DELETE', `${base}/variables/K`, undefined],
    ] as const) {
      const response = await api(method, path, { token, body });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.message).toBe('Environment not found');
    }
    // The other project's default is untouched.
    const theirList = await api('GET', `/projects/${theirs}/environments`, { token });
    expect(theirList.body.data).toEqual([expect.objectContaining({ id: foreign, is_default: true })]);
  });

  it("lists every project's own environments when lists of several projects arrive together", async () => {
    const { api } = system;
    const { token } = await newUser(api, 'lists-together');
    const projects = await Promise.all([1, 2, 3].map(() => newProject(api, token)));
    const staging = await api('POST', `/projects/${projects[0]}/environments`, { token, body: { name: 'staging' } });
    expect(staging.status, staging.text).toBe(201);
    const outsider = await newUser(api, 'lists-outsider');
    // Sent at once: first pages of one turn share one statement in environments.
    const [first, second, third, firstPage, foreign] = await Promise.all([
      ...projects.map((projectId) => api('GET', `/projects/${projectId}/environments`, { token })),
      api('GET', `/projects/${projects[0]}/environments?limit=1`, { token }),
      api('GET', `/projects/${projects[1]}/environments`, { token: outsider.token }),
    ]);
    const names = (response: { body: { data: { name: string; project_id: string }[] } }) => response.body.data.map((env) => env.name);
    expect(names(first!)).toEqual(['production', 'staging']);
    expect(first!.body.data.every((env: { project_id: string }) => env.project_id === projects[0])).toBe(true);
    expect(names(second!)).toEqual(['production']);
    expect(second!.body.data[0].project_id).toBe(projects[1]);
    expect(names(third!)).toEqual(['production']);
    expect(third!.body.data[0].project_id).toBe(projects[2]);
    expect(names(firstPage!)).toEqual(['production']);
    expect(firstPage!.body.next_cursor).toEqual(expect.any(String));
    expect(first!.body.next_cursor).toBeNull();
    expect(foreign!.status).toBe(404);
    // The cursor's page is read on its own, after the first.
    const rest = await api('GET', `/projects/${projects[0]}/environments?limit=1&cursor=${firstPage!.body.next_cursor}`, { token });
    expect(names(rest)).toEqual(['staging']);
  });

  it('leaves exactly one default after 20 concurrent set-default calls', async () => {
    const { api } = system;
    const { token } = await newUser(api, 'race');
    const projectId = await newProject(api, token);
    const base = `/projects/${projectId}/environments`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api('POST', base, { token, body: { name: `env-${i}` } })).body.data.id);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api('POST', `${base}/${ids[i % ids.length]}/set-default`, { token })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const defaults = await queryDatabase(
      system.databaseUrl,
      'select id from environments.environments where project_id = $1 and is_default',
      [projectId],
    );
    expect(defaults).toHaveLength(1);
    const listed = await api('GET', `${base}?limit=100`, { token });
    expect(listed.body.data.filter((env: { is_default: boolean }) => env.is_default)).toHaveLength(1);
  });

  it('pages through environments with the cursor', async () => {
    const { api } = system;
    const { token } = await newUser(api, 'pages');
    const projectId = await newProject(api, token);
    const base = `/projects/${projectId}/environments`;
    for (let i = 0; i < 4; i++) await api('POST', base, { token, body: { name: `page-${i}` } });
    const first = await api('GET', `${base}?limit=3`, { token });
    expect(first.body.data.map((env: { name: string }) => env.name)).toEqual(['production', 'page-0', 'page-1']);
    const second = await api('GET', `${base}?limit=3&cursor=${first.body.next_cursor}`, { token });
    expect(second.body).toMatchObject({ next_cursor: null });
    expect(second.body.data.map((env: { name: string }) => env.name)).toEqual(['page-2', 'page-3']);
    expect((await api('GET', `${base}?cursor=forged`, { token })).status).toBe(400);
  });

  it('keeps secrets out of the database in clear text, and loses no variable across a restart', async () => {
    const { token } = await newUser(system.api, 'restart');
    const projectId = await newProject(system.api, token);
    const base = `/projects/${projectId}/environments`;
    const envId = (await system.api('GET', base, { token })).body.data[0].id;
    await system.api('PUT', `${base}/${envId}/variables/DB_PASSWORD`, { token, body: { value: 'clear-text-canary-42', secret: true } });
    await system.api('PUT', `${base}/${envId}/variables/REGION`, { token, body: { value: 'eu-west-1' } });

    const dump = await queryDatabase(
      system.databaseUrl,
      "select coalesce(value, '') || encode(coalesce(ciphertext, ''), 'escape') as stored from environments.variables",
    );
    expect(JSON.stringify(dump)).not.toContain('clear-text-canary-42');

    await system.restart();
    const after = await system.api('GET', `${base}/${envId}/variables`, { token });
    expect(after.status).toBe(200);
    expect(after.body.data.map((v: { key: string; value: string | null }) => [v.key, v.value])).toEqual([
      ['DB_PASSWORD', null],
      ['REGION', 'eu-west-1'],
    ]);
    // The secret still opens after the restart: a clone re-seals it for the copy.
    expect((await system.api('POST', `${base}/${envId}/clone`, { token, body: { name: 'after-restart' } })).status).toBe(201);
  });

  it('creates the project while environments is down; its default appears from the event once environments is back, once', async () => {
    const { token } = await newUser(system.api, 'outage');
    await system.stopService('environments');
    const projectId = await newProject(system.api, token);
    expect((await system.api('GET', `/projects/${projectId}/environments`, { token })).status).toBe(503);

    await system.restart();
    await expect
      // Within the consumer's redelivery time, should the event have been on its way to the stopping instance.
      .poll(async () => (await system.api('GET', `/projects/${projectId}/environments`, { token })).body?.data, { timeout: 40_000 })
      .toEqual([expect.objectContaining({ name: 'production', is_default: true })]);
    const rows = await queryDatabase(system.databaseUrl, 'select id from environments.environments where project_id = $1', [projectId]);
    expect(rows).toHaveLength(1);
  }, 90_000);
});
