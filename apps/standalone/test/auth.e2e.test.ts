import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.stop());

describe('sign-in and credentials over HTTP', () => {
  it('register → 201 {user, token}; login → 200; me → the user', async () => {
    const { api } = system;
    const registered = await api('POST', '/auth/register', {
      body: { email: 'Grace@Example.com', password: 'hopper-1906', name: 'Grace' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.data.user).toMatchObject({ email: 'grace@example.com', name: 'Grace' });
    expect(registered.body.data.user).not.toHaveProperty('password_hash');

    const login = await api('POST', '/auth/login', { body: { email: 'grace@example.com', password: 'hopper-1906' } });
    expect(login.status).toBe(200);
    const me = await api('GET', '/auth/me', { token: login.body.data.token });
    expect(me.body).toEqual({ success: true, data: registered.body.data.user });
  });

  it('401 with one message for a wrong password and an unknown e-mail', async () => {
    const { api, email } = { api: system.api, ...(await newUser(system.api)) };
    const wrong = await api('POST', '/auth/login', { body: { email, password: 'wrong-password' } });
    const unknown = await api('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'wrong-password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('409 when the e-mail is taken; 400 for a short password', async () => {
    const { email } = await newUser(system.api);
    expect((await system.api('POST', '/auth/register', { body: { email, password: 'another-pass' } })).status).toBe(409);
    const short = await system.api('POST', '/auth/register', { body: { email: 'short@example.com', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0].path).toBe('password');
  });

  it('401 without a credential or with a bad one, on every protected route', async () => {
    for (const [method, path] of [
      ['GET', '/projects'],
      ['POST', '/projects'],
      ['GET', '/auth/me'],
      ['GET', '/auth/api-keys'],
      ['DELETE', '/projects/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const anonymous = await system.api(method, path);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
      const forged = await system.api(method, path, { token: 'ats_forged' });
      expect(forged.status, `${method} ${path}`).toBe(401);
    }
  });

  it('logout → 204, and the token stops working at once (even though the gateway caches it)', async () => {
    const { token } = await newUser(system.api);
    expect((await system.api('GET', '/auth/me', { token })).status).toBe(200);
    const logout = await system.api('POST', '/auth/logout', { token });
    expect(logout.status).toBe(204);
    expect(logout.text).toBe('');
    expect((await system.api('GET', '/auth/me', { token })).status).toBe(401);
  });

  it('API keys: shown once, usable as Bearer or x-api-key, dead once deleted', async () => {
    const { token } = await newUser(system.api);
    const created = await system.api('POST', '/auth/api-keys', { token, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const key = created.body.data.key as string;

    const listed = await system.api('GET', '/auth/api-keys', { token });
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty('key');

    expect((await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } })).status).toBe(200);
    const project = await system.api('POST', '/projects', { token: key, body: { name: 'made-by-key' } });
    expect(project.status).toBe(201);

    expect((await system.api('DELETE', `/auth/api-keys/${created.body.data.id}`, { token })).status).toBe(204);
    expect((await system.api('GET', '/auth/me', { headers: { 'x-api-key': key } })).status).toBe(401);
    expect((await system.api('DELETE', `/auth/api-keys/${created.body.data.id}`, { token })).status).toBe(404);
  });

  it('PUT /auth/me changes the name, and the password only with the current one', async () => {
    const { token, email } = await newUser(system.api);
    const renamed = await system.api('PUT', '/auth/me', { token, body: { name: 'Renamed' } });
    expect(renamed.body.data.name).toBe('Renamed');
    const noCurrent = await system.api('PUT', '/auth/me', { token, body: { password: 'brand-new-pass' } });
    expect(noCurrent.status).toBe(400);
    const changed = await system.api('PUT', '/auth/me', {
      token,
      body: { password: 'brand-new-pass', current_password: 'correct horse battery' },
    });
    expect(changed.status).toBe(200);
    expect((await system.api('POST', '/auth/login', { body: { email, password: 'brand-new-pass' } })).status).toBe(200);
  });
});
