import { connect as connectTcp } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { buildGateway, checkReadiness, MAX_JSON_DEPTH } from '@atrium/gateway';
import { startNatsServer } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import { createNatsBroadcast } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { natsUploadStore } from '@atrium/uploads';
import { connectNats } from '@atrium/service-runtime';
import { apiClient, newUser, startTestSystem } from './support/system.js';
import type { ApiClient, TestSystem } from './support/system.js';

/**
 * The HTTP edge against hostile input. Requests go to a second gateway instance (as a replica
 * would be) whose log this test reads, in front of the whole system on a broker of its own.
 */
let nats: RunningNats;
let system: TestSystem;
let nc: NatsConnection;
let gateway: Awaited<ReturnType<typeof buildGateway>>;
let api: ApiClient;
let url: string;
let token: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  system = await startTestSystem({ NATS_URL: nats.url });
  // A second gateway replica: the gateway's own connection, inbox prefix included.
  nc = await connectNats(nats.url, 'gateway');
  const transport = createNatsTransport(nc, { timeoutMs: 20_000, signer: system.keys.gateway.signer });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  gateway = await buildGateway({
    transport,
    broadcast: createNatsBroadcast(nc),
    // Everything the gateway would ever write, at the most verbose level.
    log: pino({ level: 'trace' }, sink),
    // The system's own bucket (UPLOADS_BUCKET's default), as a replica shares it.
    uploads: await natsUploadStore(nc, { bucket: 'atrium-uploads' }),
    readiness: () => checkReadiness(transport, () => nc.rtt()),
    corsOrigins: [],
    authCacheTtlMs: 30_000,
    authCacheMax: 100,
    rateLimitPerMinute: 0,
    authRateLimitPerMinute: 0,
  });
  url = await gateway.listen({ host: '127.0.0.1', port: 0 });
  api = apiClient(url);
  token = (await newUser(api)).token;
});
afterAll(async () => {
  await gateway?.close();
  await nc?.close();
  await system?.stop();
  await nats?.stop();
});

const nested = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const json = { 'content-type': 'application/json' };

describe('parser limits', () => {
  it(`400 for JSON nested deeper than ${MAX_JSON_DEPTH} levels, before authentication and at any depth`, async () => {
    // A 10 KB body nested 5,000 deep used to overflow the stack: a 500 and a stack trace in the log.
    for (const [path, body] of [
      ['/auth/login', nested(5000)],
      ['/auth/login', `{"email":${nested(5000, '"a"')}}`],
      ['/projects', `{"name":"deep","description":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`],
    ] as const) {
      const response = await api('POST', path, { rawBody: body, headers: json });
      expect(response.status, body.slice(0, 30)).toBe(400);
      expect(response.body).toEqual({
        success: false,
        error: { code: 'BAD_REQUEST', message: `The request body nests deeper than ${MAX_JSON_DEPTH} levels` },
      });
    }
  });

  it('reads brackets inside strings as text, and bodies at the limit as usual', async () => {
    const inString = await api('POST', '/projects', { token, body: { name: 'brackets', description: '['.repeat(1000) } });
    expect(inString.status).toBe(201);
    const atLimit = await api('POST', '/projects', {
      token,
      rawBody: `{"name":"at-limit","description":${nested(MAX_JSON_DEPTH - 1, '"x"')}}`,
      headers: json,
    });
    expect(atLimit.status).toBe(400);
    expect(atLimit.body.error.details[0].path).toBe('description');
  });
});

describe('encodings', () => {
  it('415 for a charset other than UTF-8, and UTF-8 however it is spelled is fine', async () => {
    const latin1 = Buffer.from('{"name":"latin","description":"caf\u00e9"}', 'latin1');
    for (const charset of ['iso-8859-1', 'latin1', 'utf-16', 'us-ascii']) {
      const response = await api('POST', '/projects', {
        token,
        rawBody: latin1,
        headers: { 'content-type': `application/json; charset=${charset}` },
      });
      expect(response.status, charset).toBe(415);
      expect(response.body.error).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `Request bodies must be UTF-8 JSON; charset "${charset}" is not supported`,
      });
    }
    for (const [name, contentType] of [
      ['utf-lower', 'application/json; charset=utf-8'],
      ['utf-upper', 'application/json;charset=UTF-8'],
      ['utf-quoted', 'application/json; charset="utf-8"'],
    ]) {
      const response = await api('POST', '/projects', {
        token,
        body: { name, description: 'café' },
        headers: { 'content-type': contentType! },
      });
      expect(response.status, contentType).toBe(201);
      expect(response.body.data.description).toBe('café');
    }
  });

  it('415 for any Content-Encoding, whether the body is encoded or not', async () => {
    const body = JSON.stringify({ name: 'encoded' });
    for (const [encoding, rawBody] of [
      ['gzip', gzipSync(body)],
      ['gzip', body],
      ['br', body],
      ['deflate, gzip', body],
    ] as const) {
      const response = await api('POST', '/projects', { token, rawBody, headers: { ...json, 'content-encoding': encoding } });
      expect(response.status, encoding).toBe(415);
      expect(response.body.error).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Encoding is not supported: send the body uncompressed',
      });
    }
    expect((await api('GET', '/projects?limit=100', { token })).body.data.map((p: { name: string }) => p.name)).not.toContain('encoded');
    const identity = await api('POST', '/projects', { token, rawBody: body, headers: { ...json, 'content-encoding': 'identity' } });
    expect(identity.status).toBe(201);
  });
});

describe('HEAD', () => {
  it('exists where GET does, with the same authentication, and nowhere else', async () => {
    const head = (path: string, headers: Record<string, string> = {}) => fetch(`${url}/api/v1${path}`, { method: 'HEAD', headers });
    const anonymous = await head('/projects');
    expect(anonymous.status).toBe(401);
    expect((await head('/projects', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await head('/auth/me', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await head('/projects/00000000-0000-4000-8000-000000000000', { authorization: `Bearer ${token}` })).status).toBe(404);
    for (const path of ['/nothing-here', '/auth/login', '/auth/logout']) {
      const response = await head(path, { authorization: `Bearer ${token}` });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  });
});

describe('query strings', () => {
  it('400 naming __proto__ and other prototype keys, like any unknown parameter', async () => {
    for (const key of ['__proto__', 'constructor', 'unknown']) {
      const response = await api('GET', `/projects?${key}=x`, { token });
      expect(response.status, key).toBe(400);
      expect(response.body.error.code).toBe('BAD_REQUEST');
      expect(response.body.error.message).toContain(key);
    }
  });

  it('400 for an empty limit or cursor, rather than the default', async () => {
    for (const query of ['limit=', 'cursor=', 'limit=&limit=2']) {
      const response = await api('GET', `/projects?${query}`, { token });
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('BAD_REQUEST');
      expect(response.body.error.details[0].path).toBe(query.split('=')[0]);
    }
  });
});

/** Sends bytes as they are, for requests no HTTP client would send, and reads the whole answer. */
function rawHttp(request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('requests that are not valid HTTP', () => {
  it('get the error envelope and a request id too', async () => {
    for (const [request, status] of [
      ['GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n', 400],
      [`GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ] as const) {
      const answer = await rawHttp(request);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Request Header Fields Too Large'}`);
      expect(head).toMatch(/x-request-id: [0-9a-f-]{36}/);
      expect(JSON.parse(body)).toEqual({ success: false, error: { code: 'BAD_REQUEST', message: expect.any(String) } });
    }
  });
});

describe('the log of refused requests', () => {
  it('carries no stack and no parameter value for any 4xx', async () => {
    const secret = 'Secret-Value-0123';
    const from = logLines.length;
    const refusals: Promise<{ status: number }>[] = [
      api('POST', '/auth/login', { rawBody: nested(5000), headers: json }),
      api('POST', '/auth/login', { rawBody: `{"email":"${secret}",`, headers: json }),
      api('POST', '/auth/login', { body: { email: secret, password: secret } }),
      api('POST', '/projects', { token, body: { name: secret } }),
      api('GET', `/projects?cursor=${secret}`, { token }),
      api('GET', `/projects?limit=${secret}&__proto__=${secret}`, { token }),
      api('GET', `/projects/${secret}`, { token }),
      api('GET', '/projects', { token: `ats_${secret}` }),
      api('POST', '/projects', { token, rawBody: secret, headers: { 'content-type': 'text/plain' } }),
      api('POST', '/projects', { token, rawBody: secret, headers: { ...json, 'content-encoding': 'gzip' } }),
      fetch(`${url}/api/v1/projects/%E0%A4%A?x=${secret}`),
      api('POST', '/projects', { token, rawBody: JSON.stringify({ name: 'huge', description: secret.repeat(70_000) }), headers: json }),
      api('POST', '/projects', {
        token,
        rawBody: `{"name":"x","description":"${secret}"}`,
        headers: { 'content-type': 'application/json; charset=latin1' },
      }),
      api('GET', `/no-such-route/${secret}?q=${secret}`, { token }),
      fetch(`${url}/api/v1/projects`, { method: 'HEAD', headers: { authorization: `Bearer ats_${secret}` } }),
      rawHttp(`GET /api/v1/projects?x=${secret} HTTP/1.1\r\nHost: x\r\n${secret}\r\n\r\n`).then(() => ({ status: 400 })),
    ];
    for (const response of await Promise.all(refusals)) expect(response.status).toBeGreaterThanOrEqual(400);
    const lines = logLines.slice(from);
    // Requests are logged by their operation's path template and the names of their query parameters.
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', url: '/api/v1/projects/{id}', status: 400 }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', url: '/api/v1/projects', query: ['limit', '__proto__'] }));
    for (const line of lines) {
      const text = JSON.stringify(line);
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"stack"|"err"/);
      expect(line.level as number).toBeLessThan(50);
    }
  });
});
