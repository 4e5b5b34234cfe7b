import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLocalBroadcast, readReply } from '@atrium/nats-trpc';
import type { ProcedureCall, ServiceTransport } from '@atrium/nats-trpc';
import { createLogger } from '@atrium/service-runtime/core';
import { buildGateway } from '../src/server.js';
import { envelope } from '../src/rest/envelope.js';
import { REST_OPERATIONS } from '../src/rest/router.js';

const TOKEN = `ats_${'t'.repeat(43)}`;
const PROJECT_ID = '0b7e8f0c-5a43-4c1e-9d0e-2f1d6a3b9c11';
const caller = {
  user: {
    id: '4f1c2b3a-1d2e-4a5b-8c6d-7e8f9a0b1c2d',
    email: 'a@example.com',
    name: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  },
  credential_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  credential_kind: 'session',
  expires_at: null,
};
const project = {
  id: PROJECT_ID,
  name: 'my-saas',
  display_name: 'My "SaaS" App \u2028 ü',
  description: null,
  color: '#3B82F6',
  icon_path: null,
  single_server_mode: false,
  default_server_id: null,
  auto_error_tracking_enabled: true,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
};
const page = { data: [project, { ...project, id: '1b7e8f0c-5a43-4c1e-9d0e-2f1d6a3b9c11', name: 'other' }], next_cursor: 'abc' };

/**
 * A transport answering as the NATS one does: every reply is read from its JSON text with
 * `readReply`, or, with `readsText: false`, handed over as plain values (another transport);
 * `projects.get` answers whatever text the test puts there.
 */
function fakeTransport(options: { readsText: boolean }): ServiceTransport & { getReply: string; updates: unknown[] } {
  const answer = (reply: unknown) => (options.readsText ? readReply(JSON.stringify(reply)) : (reply as { result: unknown }).result);
  const transport = {
    getReply: JSON.stringify({ result: project }),
    /** The inputs `projects.update` was called with; it answers the project at version 2. */
    updates: [] as unknown[],
    async call(call: ProcedureCall) {
      const name = `${call.service}.${call.path}`;
      if (name === 'projects.projects.update') {
        transport.updates.push(call.input);
        return answer({ result: { ...project, version: 2 } });
      }
      if (name === 'identity.credentials.authenticate') return answer({ result: caller });
      if (name === 'projects.projects.list') return answer({ result: page });
      if (name === 'projects.projects.get')
        return options.readsText ? readReply(transport.getReply) : JSON.parse(transport.getReply).result;
      throw new Error(`unexpected call ${name}`);
    },
  };
  return transport;
}

async function gatewayWith(transport: ServiceTransport): Promise<FastifyInstance> {
  return buildGateway({
    transport,
    broadcast: createLocalBroadcast(),
    log: createLogger('gateway', 'silent'),
    readiness: async () => ({ ready: true, checks: {}, details: {} }) as never,
    uploads: {} as never,
    corsOrigins: [],
    authCacheTtlMs: 60_000,
    authCacheMax: 10,
    rateLimitPerMinute: 0,
    authRateLimitPerMinute: 0,
  });
}

const authorization = `Bearer ${TOKEN}`;

describe('answers: the envelope around the service reply', () => {
  const natsLike = fakeTransport({ readsText: true });
  const plain = fakeTransport({ readsText: false });
  let gateway: FastifyInstance;
  let plainGateway: FastifyInstance;
  beforeAll(async () => {
    gateway = await gatewayWith(natsLike);
    plainGateway = await gatewayWith(plain);
  });
  afterAll(async () => {
    await gateway.close();
    await plainGateway.close();
  });

  it('sends exactly the body the envelope serialised would be, with its length', async () => {
    for (const url of [`/api/v1/projects/${PROJECT_ID}`, '/api/v1/projects?limit=2']) {
      const [a, b] = await Promise.all(
        [gateway, plainGateway].map((app) => app.inject({ method: 'GET', url, headers: { authorization } })),
      );
      expect(a!.statusCode).toBe(200);
      expect(a!.body).toBe(b!.body);
      expect(a!.headers['content-length']).toBe(String(Buffer.byteLength(a!.body)));
      expect(a!.headers['content-type']).toMatch(/^application\/json/);
      expect(a!.headers['x-request-id']).toBeTruthy();
    }
    const one = await gateway.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT_ID}`, headers: { authorization } });
    expect(one.body).toBe(JSON.stringify({ success: true, data: project }));
    const list = await gateway.inject({ method: 'GET', url: '/api/v1/projects?limit=2', headers: { authorization } });
    expect(list.body).toBe(JSON.stringify({ success: true, ...page }));
    // What the REST adapter serialises is the envelope function's value, nothing swapped in later.
    const get = REST_OPERATIONS.get('projects.projects.get')!.operation;
    expect(one.body).toBe(JSON.stringify(envelope(get, project)));
  });

  it('answers HEAD with the status and no body', async () => {
    const head = await gateway.inject({ method: 'HEAD', url: `/api/v1/projects/${PROJECT_ID}`, headers: { authorization } });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers a conditional read with its ETag, and 304 without a body when If-None-Match names it', async () => {
    const url = `/api/v1/projects/${PROJECT_ID}`;
    const read = await gateway.inject({ method: 'GET', url, headers: { authorization } });
    expect(read.headers.etag).toBe('"1"');
    for (const method of ['GET', 'HEAD'] as const) {
      const notModified = await gateway.inject({ method, url, headers: { authorization, 'if-none-match': '"1"' } });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.headers.etag).toBe('"1"');
      // No body and no framing of one (a HEAD's framing is the server's, as for any HEAD).
      if (method === 'GET') expect(notModified.headers['content-length']).toBeUndefined();
    }
    const changed = await gateway.inject({ method: 'GET', url, headers: { authorization, 'if-none-match': '"0", "2"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toBe(JSON.stringify({ success: true, data: project }));
  });

  it("carries a conditional write's If-Match to the service as if_match, in the open, and sends the answer's ETag", async () => {
    natsLike.updates.length = 0;
    const url = `/api/v1/projects/${PROJECT_ID}`;
    const put = (headers: Record<string, string>, body: unknown = { color: '#000000' }) =>
      gateway.inject({
        method: 'PUT',
        url,
        headers: { authorization, 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      });
    const conditional = await put({ 'if-match': '"1", W/"3", "x", "4"' });
    expect(conditional.statusCode).toBe(200);
    expect(conditional.headers.etag).toBe('"2"');
    expect(conditional.json().data.version).toBe(2);
    await put({ 'if-match': '*' });
    await put({});
    expect(natsLike.updates).toEqual([
      { id: PROJECT_ID, color: '#000000', if_match: [1, 4] },
      { id: PROJECT_ID, color: '#000000', if_match: '*' },
      { id: PROJECT_ID, color: '#000000' },
    ]);
    // Malformed: 400 before any call; and the body cannot carry the precondition.
    for (const answer of [await put({ 'if-match': '1' }), await put({ 'if-match': '"1" "2"' }), await put({}, { if_match: [1] })]) {
      expect(answer.statusCode).toBe(400);
    }
    expect(natsLike.updates).toHaveLength(3);
  });

  it('still validates the input and authenticates before any call', async () => {
    const bad = await gateway.inject({ method: 'GET', url: '/api/v1/projects/not-a-uuid', headers: { authorization } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, error: { code: 'BAD_REQUEST' } });
    const anonymous = await gateway.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT_ID}` });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('envelopes a service error with its status', async () => {
    const error = { message: 'No such project', code: -32004, data: { code: 'NOT_FOUND', apiCode: 'NOT_FOUND', httpStatus: 404 } };
    natsLike.getReply = JSON.stringify({ error });
    try {
      const answer = await gateway.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT_ID}`, headers: { authorization } });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'No such project' } });
    } finally {
      natsLike.getReply = JSON.stringify({ result: project });
    }
  });

  it('answers a clean 500 envelope, never the garbage, when the reply is not valid JSON', async () => {
    for (const garbage of ['{"result":{"id":', '{"result":{"a":1},"result":2}', 'not json']) {
      natsLike.getReply = garbage;
      try {
        const answer = await gateway.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT_ID}`, headers: { authorization } });
        expect(answer.statusCode).toBe(500);
        expect(answer.json()).toEqual({ success: false, error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
        expect(answer.body).not.toContain('"a":1');
      } finally {
        natsLike.getReply = JSON.stringify({ result: project });
      }
    }
  });
});
