import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let token: string;
/** A project of the test user's, for the fields and lists that live inside one. */
let projectId: string;
let environmentId: string;
beforeAll(async () => {
  system = await startTestSystem();
  token = (await newUser(system.api)).token;
  projectId = (await system.api('POST', '/projects', { token, body: { name: 'integrity' } })).body.data.id;
  const environment = await system.api('POST', `/projects/${projectId}/environments`, {
    token,
    body: { name: 'staging', type: 'staging' },
  });
  environmentId = environment.body.data.id;
});
afterAll(() => system?.stop());

let counter = 0;
const uniqueName = (label: string) => `${label}-${Date.now().toString(36)}-${counter++}`;

describe('check-then-act races: the database decides', () => {
  it('ten concurrent deletes of one project: one 204, nine 404, one outbox event', async () => {
    const { body } = await system.api('POST', '/projects', { token, body: { name: uniqueName('raced') } });
    const id = body.data.id as string;
    const answers = await Promise.all(Array.from({ length: 10 }, () => system.api('DELETE', `/projects/${id}`, { token })));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([204, ...Array(9).fill(404)]);
    for (const answer of answers.filter((a) => a.status === 404)) expect(answer.body.error.code).toBe('NOT_FOUND');
    const events = await queryDatabase(
      system.databaseUrl,
      `select id from projects.outbox where type = 'projects.v1.deleted' and payload->'data'->>'project_id' = $1`,
      [id],
    );
    expect(events).toHaveLength(1);
  });

  it('an update racing a delete never answers 200 for a project that is gone', async () => {
    const { body } = await system.api('POST', '/projects', { token, body: { name: uniqueName('upd-del') } });
    const id = body.data.id as string;
    const [updated, deleted] = await Promise.all([
      system.api('PUT', `/projects/${id}`, { token, body: { description: 'late' } }),
      system.api('DELETE', `/projects/${id}`, { token }),
    ]);
    expect(deleted.status).toBe(204);
    // Either the update committed first (200) or it found nothing (404); a 200 after the delete is a lie.
    expect([200, 404]).toContain(updated.status);
    expect((await system.api('GET', `/projects/${id}`, { token })).status).toBe(404);
  });

  it('concurrent deletes of one API key: one 204, the rest 404', async () => {
    const { body } = await system.api('POST', '/auth/api-keys', { token, body: { name: 'raced key' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => system.api('DELETE', `/auth/api-keys/${body.data.id}`, { token })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 404, 404, 404, 404]);
  });
});

describe('free text: refused when PostgreSQL cannot keep it, exact when accepted', () => {
  const unstorable: [string, string][] = [
    ['a NUL character', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a reversed surrogate pair', '\uDC00\uD800'],
  ];

  for (const [label, value] of unstorable) {
    it(`400 naming the field for ${label}, everywhere free text is written`, async () => {
      const attempts: [string, string, unknown, string][] = [
        ['POST', '/projects', { name: uniqueName('text'), display_name: value }, 'display_name'],
        ['POST', '/projects', { name: uniqueName('text'), description: value }, 'description'],
        ['PUT', '/auth/me', { name: value }, 'name'],
        ['POST', '/auth/api-keys', { name: value }, 'name'],
        ['POST', '/auth/register', { email: `${uniqueName('t')}@example.com`, password: 'long enough', name: value }, 'name'],
        [
          'POST',
          `/projects/${projectId}/environments`,
          { name: uniqueName('env'), type: 'development', display_name: value },
          'display_name',
        ],
        ['PUT', `/projects/${projectId}/environments/${environmentId}`, { description: value }, 'description'],
        ['PUT', `/projects/${projectId}/environments/${environmentId}/variables/TEXT`, { value }, 'value'],
        ['PUT', `/projects/${projectId}/environments/${environmentId}/variables/SECRET_TEXT`, { value, secret: true }, 'value'],
      ];
      for (const [method, path, body, field] of attempts) {
        const response = await system.api(method, path, { token, body });
        expect(response.status, `${method} ${path}`).toBe(400);
        expect(response.body.error.code).toBe('BAD_REQUEST');
        expect(response.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
      }
    });
  }

  it('what is accepted reads back exactly: astral characters, combining marks, RTL, controls other than NUL', async () => {
    const text = '😀 e\u0301 \u05e9\u05dc\u05d5\u05dd \t\u0001\u007f \uFFFD \uD83D\uDE00';
    const created = await system.api('POST', '/projects', {
      token,
      body: { name: uniqueName('exact'), display_name: text, description: text },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.display_name).toBe(text);
    const read = await system.api('GET', `/projects/${created.body.data.id}`, { token });
    expect(read.body.data.display_name).toBe(text);
    expect(read.body.data.description).toBe(text);
    const renamed = await system.api('PUT', '/auth/me', { token, body: { name: text } });
    expect(renamed.status).toBe(200);
    expect((await system.api('GET', '/auth/me', { token })).body.data.name).toBe(text);
  });
});

describe('cursors: only what the server issued', () => {
  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const forged = [
    ['a 36-character id that is not a UUID', cursorOf(['2024-01-15T10:30:00.000Z', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'])],
    ['a hyphen-only id', cursorOf(['2024-01-15T10:30:00.000Z', '------------------------------------'])],
    ['year 0', cursorOf(['0000-01-01T00:00:00.000Z', '550e8400-e29b-41d4-a716-446655440000'])],
    ['year 275760', cursorOf(['+275760-09-13T00:00:00.000Z', '550e8400-e29b-41d4-a716-446655440000'])],
    ['a date PostgreSQL would read differently', cursorOf(['2024-01-15', '550e8400-e29b-41d4-a716-446655440000'])],
    ['extra components', cursorOf(['2024-01-15T10:30:00.000Z', '550e8400-e29b-41d4-a716-446655440000', 1])],
    ['not base64url JSON', '%%%'],
  ];
  for (const [label, cursor] of forged) {
    it(`400 on every list for ${label}`, async () => {
      const lists = [
        '/projects',
        '/auth/api-keys',
        `/projects/${projectId}/members`,
        `/projects/${projectId}/invites`,
        `/projects/${projectId}/environments`,
        `/projects/${projectId}/environments/${environmentId}/variables`,
      ];
      for (const path of lists) {
        const response = await system.api('GET', `${path}?cursor=${encodeURIComponent(cursor!)}`, { token });
        expect(response.status, path).toBe(400);
        expect(response.body.error.details[0].path).toBe('cursor');
      }
    });
  }

  it('a cursor the server issued still pages', async () => {
    const { token: own } = await newUser(system.api, 'pager');
    for (let i = 0; i < 3; i++) await system.api('POST', '/auth/api-keys', { token: own, body: { name: `k${i}` } });
    const first = await system.api('GET', '/auth/api-keys?limit=2', { token: own });
    const second = await system.api('GET', `/auth/api-keys?limit=2&cursor=${first.body.next_cursor}`, { token: own });
    expect(second.status).toBe(200);
    expect(second.body.data.map((key: { name: string }) => key.name)).toEqual(['k2']);
  });
});
