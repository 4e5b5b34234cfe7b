import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let token: string;
beforeAll(async () => {
  system = await startTestSystem();
  token = (await newUser(system.api)).token;
});
afterAll(() => system?.stop());

async function projectCount(): Promise<number> {
  return (await system.api('GET', '/projects?limit=100', { token })).body.data.length;
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  const invalidBodies: [string, unknown, string][] = [
    ['missing name', { display_name: 'x' }, 'name'],
    ['name of the wrong type', { name: 42 }, 'name'],
    ['name with capitals and spaces', { name: 'My Project' }, 'name'],
    ['name ending with a hyphen', { name: 'proj-' }, 'name'],
    ['name over 63 characters', { name: 'a'.repeat(64) }, 'name'],
    ['bad color', { name: 'ok-name', color: 'blue' }, 'color'],
    ['non-UUID default_server_id', { name: 'ok-name', default_server_id: 'server-1' }, 'default_server_id'],
    ['display_name over 100 characters', { name: 'ok-name', display_name: 'x'.repeat(101) }, 'display_name'],
    ['description over 1000 characters', { name: 'ok-name', description: 'x'.repeat(1001) }, 'description'],
    ['flag of the wrong type', { name: 'ok-name', single_server_mode: 'yes' }, 'single_server_mode'],
  ];

  for (const [label, body, field] of invalidBodies) {
    it(`400 for ${label}`, async () => {
      const before = await projectCount();
      const response = await system.api('POST', '/projects', { token, body });
      expect(response.status).toBe(400);
      expect(response.body.success).toBe(false);
      expect(response.body.error.code).toBe('BAD_REQUEST');
      expect(response.body.error.message).toContain(field);
      expect(response.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
      expect(await projectCount()).toBe(before);
    });
  }

  it('400 naming unknown fields', async () => {
    const response = await system.api('POST', '/projects', { token, body: { name: 'ok-name', owner: 'me', colour: '#fff' } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/owner/);
    expect(response.body.error.message).toMatch(/colour/);
  });

  it('400 for malformed JSON, without a stack trace', async () => {
    const response = await system.api('POST', '/projects', {
      token,
      rawBody: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ success: false, error: { code: 'BAD_REQUEST', message: 'The request body is not valid JSON' } });
  });

  it('400 for prototype-poisoning JSON', async () => {
    const before = await projectCount();
    const response = await system.api('POST', '/projects', {
      token,
      rawBody: '{"name":"proto-x","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    // Said for what it is: valid JSON, with a key this API refuses.
    expect(response.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'The request body may not use "__proto__" or "constructor.prototype" as a key',
    });
    expect(await projectCount()).toBe(before);
  });

  it('400 for a body that is not UTF-8, rather than storing U+FFFD in its place', async () => {
    const before = await projectCount();
    const rawBody = Buffer.concat([Buffer.from('{"name":"utf-x","display_name":"a'), Buffer.from([0xff]), Buffer.from('b"}')]);
    const response = await system.api('POST', '/projects', { token, rawBody, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code: 'BAD_REQUEST', message: 'The request body is not valid UTF-8' });
    expect(await projectCount()).toBe(before);
  });

  it('reads a media type in any case: APPLICATION/JSON is JSON', async () => {
    const name = `case-${Date.now()}`;
    const response = await system.api('POST', '/projects', {
      token,
      rawBody: JSON.stringify({ name }),
      headers: { 'content-type': 'APPLICATION/JSON; charset=UTF-8' },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.data.name).toBe(name);
  });

  it('tells browsers not to sniff and caches not to store any answer, credentials included', async () => {
    const email = `headers-${Date.now()}@example.com`;
    const answers = [
      await system.api('POST', '/auth/register', { body: { email, password: 'correct horse battery', name: 'h' } }),
      await system.api('POST', '/auth/login', { body: { email, password: 'correct horse battery' } }),
      await system.api('POST', '/auth/api-keys', { token, body: { name: 'headers' } }),
      await system.api('GET', '/projects', { token }),
      await system.api('GET', '/projects/not-a-uuid', { token }),
    ];
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options'), answer.text).toBe('nosniff');
      expect(answer.headers.get('cache-control'), answer.text).toBe('no-store');
    }
  });

  it('415 for a body that is not JSON', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await system.api('POST', '/projects', { token, rawBody: 'name=x', headers: { 'content-type': contentType } });
      expect(response.status, contentType).toBe(415);
      expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('413 for a body over 1 MiB, and nothing is created', async () => {
    const before = await projectCount();
    const response = await system.api('POST', '/projects', {
      token,
      rawBody: JSON.stringify({ name: 'huge', description: 'x'.repeat(1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await projectCount()).toBe(before);
  });

  it('400 for a non-UUID path id and for a forged cursor', async () => {
    const byId = await system.api('GET', '/projects/not-a-uuid', { token });
    expect(byId.status).toBe(400);
    expect(byId.body.error.details[0].path).toBe('id');
    const cursor = await system.api('GET', '/projects?cursor=eyJmb28iOjF9', { token });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0].path).toBe('cursor');
  });

  it('400 for a body that is not a JSON object, or that repeats a path parameter', async () => {
    for (const rawBody of ['null', '1', '"name"', '[{"name":"arr"}]']) {
      const response = await system.api('POST', '/projects', { token, rawBody, headers: { 'content-type': 'application/json' } });
      expect(response.status, rawBody).toBe(400);
      expect(response.body.error.message).toMatch(/JSON object/);
    }
    const { body } = await system.api('POST', '/projects', { token, body: { name: 'path-wins' } });
    const other = '00000000-0000-4000-8000-000000000000';
    const clash = await system.api('PUT', `/projects/${body.data.id}`, { token, body: { id: other, description: 'x' } });
    expect(clash.status).toBe(400);
    expect(clash.body.error.details[0].path).toBe('id');
    expect((await system.api('GET', `/projects/${body.data.id}`, { token })).body.data.description).toBeNull();
  });

  it('400 with the envelope and a request id for a malformed URL', async () => {
    const response = await fetch(`${system.url}/api/v1/projects/%E0%A4%A`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(((await response.json()) as { success: boolean; error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('401, not 400, for a credential of the wrong shape or length', async () => {
    for (const credential of ['x'.repeat(600), `ats_${'x'.repeat(600)}`, 'not-a-token']) {
      const response = await system.api('GET', '/projects', { headers: { authorization: `Bearer ${credential}` } });
      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid or expired credential' });
    }
  });

  it('404 with the envelope for an unknown route', async () => {
    const response = await system.api('GET', '/nothing-here', { token });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'No such route' } });
  });

  it('echoes a sane x-request-id and replaces an unsafe one', async () => {
    const echoed = await system.api('GET', '/projects', { token, headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await system.api('GET', '/projects', { token, headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const errored = await system.api('GET', '/projects/not-a-uuid', { token });
    expect(errored.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
