import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectExample } from '@atrium/contract';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.stop());

const specExample = { ...createProjectExample };

describe('Projects API over HTTP → gateway → NATS → services', () => {
  it("creates, reads, partially updates, lists and deletes with the contract's statuses and envelope", async () => {
    const { api } = system;
    const { token } = await newUser(api, 'owner');

    const created = await api('POST', '/projects', { token, body: specExample });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      success: true,
      data: {
        ...specExample,
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        icon_path: null,
        auto_error_tracking_enabled: false,
        version: 1,
        created_at: expect.stringMatching(/Z$/),
        updated_at: expect.stringMatching(/Z$/),
      },
    });
    const id = created.body.data.id;

    const read = await api('GET', `/projects/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const updated = await api('PUT', `/projects/${id}`, {
      token,
      body: { name: 'my-saas-v2', description: 'Updated description', auto_error_tracking_enabled: true },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({
      name: 'my-saas-v2',
      description: 'Updated description',
      auto_error_tracking_enabled: true,
      display_name: 'My SaaS App',
      color: '#3B82F6',
    });

    const cleared = await api('PUT', `/projects/${id}`, { token, body: { color: null, default_server_id: null } });
    expect(cleared.body.data).toMatchObject({ color: null, default_server_id: null, description: 'Updated description' });

    const list = await api('GET', '/projects', { token });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ success: true, next_cursor: null });
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([id]);

    const deleted = await api('DELETE', `/projects/${id}`, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).toBeNull();

    const gone = await api('GET', `/projects/${id}`, { token });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'Project not found' } });
    expect((await api('GET', '/projects', { token })).body.data).toEqual([]);
  });

  it('defaults display_name to name and flags to false', async () => {
    const { token } = await newUser(system.api);
    const created = await system.api('POST', '/projects', { token, body: { name: 'defaults-only' } });
    expect(created.body.data).toMatchObject({
      display_name: 'defaults-only',
      description: null,
      color: null,
      single_server_mode: false,
      auto_error_tracking_enabled: false,
      default_server_id: null,
    });
  });

  it('pages with limit and next_cursor in creation order', async () => {
    const { api } = system;
    const { token } = await newUser(api);
    const names = ['pg-1', 'pg-2', 'pg-3'];
    for (const name of names) expect((await api('POST', '/projects', { token, body: { name } })).status).toBe(201);

    const first = await api('GET', '/projects?limit=2', { token });
    expect(first.body.data.map((p: { name: string }) => p.name)).toEqual(['pg-1', 'pg-2']);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api('GET', `/projects?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { token });
    expect(second.body).toMatchObject({ success: true, next_cursor: null });
    expect(second.body.data.map((p: { name: string }) => p.name)).toEqual(['pg-3']);

    for (const limit of ['0', '101', 'ten']) {
      const bad = await api('GET', `/projects?limit=${limit}`, { token });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].path).toBe('limit');
    }
  });

  it('hides projects from non-members: 404 on read, update and delete, and nothing changes', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const stranger = await newUser(api, 'stranger');
    const { body } = await api('POST', '/projects', { token: owner.token, body: { name: 'private-one' } });
    const id = body.data.id;

    for (const [method, payload] of [['GET'], ['PUT', { description: 'pwned' }], ['DELETE']] as const) {
      const response = await api(method, `/projects/${id}`, { token: stranger.token, body: payload });
      expect(response.status).toBe(404);
      expect(response.body.error).toEqual({ code: 'NOT_FOUND', message: 'Project not found' });
    }
    const unknown = await api('GET', `/projects/00000000-0000-4000-8000-000000000000`, { token: stranger.token });
    expect(unknown.body).toEqual((await api('GET', `/projects/${id}`, { token: stranger.token })).body);
    expect((await api('GET', `/projects/${id}`, { token: owner.token })).body.data.description).toBeNull();
    expect((await api('GET', '/projects', { token: stranger.token })).body.data).toEqual([]);
  });

  it('refuses a taken name with 409, on create and on rename', async () => {
    const { api } = system;
    const { token } = await newUser(api);
    await api('POST', '/projects', { token, body: { name: 'taken-name' } });
    const other = await api('POST', '/projects', { token, body: { name: 'other-name' } });

    const duplicate = await api('POST', '/projects', { token, body: { name: 'taken-name' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('CONFLICT');
    const rename = await api('PUT', `/projects/${other.body.data.id}`, { token, body: { name: 'taken-name' } });
    expect(rename.status).toBe(409);
    expect((await api('GET', `/projects/${other.body.data.id}`, { token })).body.data.name).toBe('other-name');
  });
});
