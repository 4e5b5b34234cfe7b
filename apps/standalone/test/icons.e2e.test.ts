import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { busAuth } from '@atrium/local-infra';
import { ICON_MAX_BYTES, ICON_PATH_PATTERN } from '@atrium/contract';
import { buildGateway, checkReadiness } from '@atrium/gateway';
import { createNatsBroadcast } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { natsUploadStore } from '@atrium/uploads';
import type { UploadStore } from '@atrium/uploads';
import { connectNats, createLogger } from '@atrium/service-runtime';
import { connectAtrium } from '@atrium/client';
import { queryDatabase } from '@atrium/test-kit';
import { gif, html, jpeg, png, svg, webp } from './support/images.js';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

const BUCKET = `icons-${randomUUID().slice(0, 8)}`;
let system: TestSystem;
let nc: NatsConnection;
/** The bucket itself, read beside the system: what is really stored. */
let bucket: UploadStore;

beforeAll(async () => {
  system = await startTestSystem({ UPLOADS_BUCKET: BUCKET });
  // As the test's own unrestricted user: the apps' bus permissions are the production ones.
  nc = await connectNats(system.natsUrl, 'test', busAuth(system.natsCredentials, 'test'));
  bucket = await natsUploadStore(nc, { bucket: BUCKET });
});
afterAll(async () => {
  await nc?.close();
  await system?.stop();
});

interface FilePart {
  bytes: Buffer;
  filename?: string;
  type?: string;
  field?: string;
}

/** A real multipart/form-data request, as a browser's form or `curl -F` sends it. */
async function upload(
  projectId: string,
  token: string | undefined,
  parts: FilePart[],
  fields: Record<string, string> = {},
  base = system.url,
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const part of parts)
    form.append(part.field ?? 'file', new Blob([part.bytes], { type: part.type ?? 'application/octet-stream' }), part.filename ?? 'icon');
  const response = await fetch(`${base}/api/v1/projects/${projectId}/icon`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function newProject(token: string) {
  const created = await system.api('POST', '/projects', { token, body: { name: `icons-${randomUUID().slice(0, 8)}` } });
  expect(created.status).toBe(201);
  return created.body.data.id as string;
}

const iconPathOf = async (id: string, token: string) =>
  (await system.api('GET', `/projects/${id}`, { token })).body.data.icon_path as string | null;
const objectsOf = async (id: string) => (await bucket.list()).filter((name) => name.startsWith(`projects/${id}/`));
const served = (path: string, headers: Record<string, string> = {}, base = system.url) => fetch(`${base}${path}`, { headers });

describe('project icons', () => {
  it('uploads a PNG, serves it with safe headers and caching, replaces it with a JPEG leaving no orphan, and deletes it', async () => {
    const { token } = await newUser(system.api, 'icon-owner');
    const id = await newProject(token);

    const first = await upload(id, token, [{ bytes: png(), filename: 'logo.png', type: 'image/png' }]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, data: { id } });
    const pngPath = first.body.data.icon_path as string;
    expect(pngPath).toMatch(ICON_PATH_PATTERN);
    expect(pngPath).toMatch(new RegExp(`^/uploads/projects/${id}/[A-Za-z0-9_-]{22}\\.png$`));
    expect(await iconPathOf(id, token)).toBe(pngPath);

    const response = await served(pngPath);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png());
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const revalidated = await served(pngPath, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');

    const replaced = await upload(id, token, [{ bytes: jpeg(), filename: 'logo.jpg', type: 'image/jpeg' }]);
    expect(replaced.status).toBe(200);
    const jpegPath = replaced.body.data.icon_path as string;
    expect(jpegPath).toMatch(/\.jpg$/);
    expect((await served(jpegPath)).headers.get('content-type')).toBe('image/jpeg');
    expect((await served(pngPath)).status).toBe(404);
    expect(await objectsOf(id)).toEqual([jpegPath.slice('/uploads/'.length)]);

    const deleted = await system.api('DELETE', `/projects/${id}/icon`, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(await iconPathOf(id, token)).toBeNull();
    expect((await served(jpegPath)).status).toBe(404);
    expect(await objectsOf(id)).toEqual([]);
    expect((await system.api('DELETE', `/projects/${id}/icon`, { token })).status).toBe(204);
  });

  it('accepts WebP and GIF, typed by their bytes whatever the name and declared type', async () => {
    const { token } = await newUser(system.api);
    const id = await newProject(token);
    for (const [bytes, ext, type] of [
      [webp(), 'webp', 'image/webp'],
      [gif(), 'gif', 'image/gif'],
    ] as const) {
      const answer = await upload(id, token, [{ bytes, filename: 'icon.png', type: 'text/plain' }]);
      expect(answer.status, answer.body?.error?.message).toBe(200);
      expect(answer.body.data.icon_path).toMatch(new RegExp(`\\.${ext}$`));
      expect((await served(answer.body.data.icon_path)).headers.get('content-type')).toBe(type);
    }
    expect(await objectsOf(id)).toHaveLength(1);
  });

  describe('refusals leave the project and the bucket as they were', () => {
    let token: string;
    let id: string;
    let iconPath: string;
    beforeAll(async () => {
      ({ token } = await newUser(system.api, 'refusals'));
      id = await newProject(token);
      iconPath = (await upload(id, token, [{ bytes: png(), type: 'image/png' }])).body.data.icon_path;
    });

    const cases: [string, () => Promise<Awaited<ReturnType<typeof upload>>>, number, string][] = [
      [
        'HTML named .png',
        () => upload(id, token, [{ bytes: html(), filename: 'icon.png', type: 'image/png' }]),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['SVG', () => upload(id, token, [{ bytes: svg(), filename: 'icon.svg', type: 'image/svg+xml' }]), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        'a 5 MiB image',
        () => upload(id, token, [{ bytes: Buffer.concat([png(), Buffer.alloc(5 * 1024 * 1024)]), type: 'image/png' }]),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'one byte over 1 MiB',
        () => upload(id, token, [{ bytes: Buffer.concat([png(), Buffer.alloc(ICON_MAX_BYTES + 1 - png().length)]) }]),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      ['an empty file', () => upload(id, token, [{ bytes: Buffer.alloc(0), filename: 'icon.png' }]), 400, 'BAD_REQUEST'],
      ['two files', () => upload(id, token, [{ bytes: png() }, { bytes: png() }]), 400, 'BAD_REQUEST'],
      ['a file and another field', () => upload(id, token, [{ bytes: png() }], { name: 'x' }), 400, 'BAD_REQUEST'],
      ['a file in another field', () => upload(id, token, [{ bytes: png(), field: 'icon' }]), 400, 'BAD_REQUEST'],
      ['no file at all', () => upload(id, token, [], {}), 400, 'BAD_REQUEST'],
      [
        'a decompression bomb (a tiny PNG declaring 100000×100000)',
        () => upload(id, token, [{ bytes: png(1, 1, { width: 100_000, height: 100_000 }) }]),
        400,
        'BAD_REQUEST',
      ],
      ['a PNG wider than 4096 pixels', () => upload(id, token, [{ bytes: png(1, 1, { width: 4097, height: 1 }) }]), 400, 'BAD_REQUEST'],
      ['a PNG signature over damaged bytes', () => upload(id, token, [{ bytes: png().subarray(0, 12) }]), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        'JSON instead of a form',
        async () => {
          const response = await system.api('POST', `/projects/${id}/icon`, {
            token,
            body: { icon_path: `/uploads/projects/${id}/${'a'.repeat(22)}.png` },
          });
          return { status: response.status, body: response.body, headers: response.headers };
        },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await bucket.list();
      const answer = await send();
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(answer.body).toEqual({ success: false, error: expect.objectContaining({ code, message: expect.any(String) }) });
      expect(await iconPathOf(id, token)).toBe(iconPath);
      expect((await served(iconPath)).status).toBe(200);
      expect((await bucket.list()).sort()).toEqual(before.sort());
    });
  });

  it('is for admins and owners: a viewer gets 403, an outsider 404, an anonymous caller 401 — and nothing is stored', async () => {
    const owner = await newUser(system.api, 'owner');
    const viewer = await newUser(system.api, 'viewer');
    const admin = await newUser(system.api, 'admin');
    const outsider = await newUser(system.api, 'outsider');
    const id = await newProject(owner.token);
    for (const [user, role] of [
      [viewer, 'viewer'],
      [admin, 'admin'],
    ] as const) {
      await queryDatabase(
        system.databaseUrl,
        'insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, $4, now(), now())',
        [randomUUID(), id, user.id, role],
      );
    }
    const file = [{ bytes: png(), type: 'image/png' }];
    expect((await upload(id, viewer.token, file)).body.error.code).toBe('FORBIDDEN');
    expect((await upload(id, outsider.token, file)).status).toBe(404);
    expect((await upload(id, undefined, file)).status).toBe(401);
    expect((await system.api('DELETE', `/projects/${id}/icon`, { token: viewer.token })).status).toBe(403);
    expect((await system.api('DELETE', `/projects/${id}/icon`, { token: outsider.token })).status).toBe(404);
    expect(await objectsOf(id)).toEqual([]);
    expect((await upload(id, admin.token, file)).status).toBe(200);
    expect(await objectsOf(id)).toHaveLength(1);
  });

  it('keeps exactly one object when uploads race, and removes it with the project', async () => {
    const { token } = await newUser(system.api);
    const id = await newProject(token);
    const answers = await Promise.all(Array.from({ length: 4 }, () => upload(id, token, [{ bytes: png() }])));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const current = (await iconPathOf(id, token))!;
    expect(await objectsOf(id)).toEqual([current.slice('/uploads/'.length)]);

    expect((await system.api('DELETE', `/projects/${id}`, { token })).status).toBe(204);
    expect(await objectsOf(id)).toEqual([]);
    expect((await served(current)).status).toBe(404);
  });

  it('over NATS, refuses an icon_path that names no uploaded file, and keeps the icon it had', async () => {
    const { token } = await newUser(system.api, 'icon-nats');
    const id = await newProject(token);
    const current = (await upload(id, token, [{ bytes: png(), type: 'image/png' }])).body.data.icon_path as string;
    const key = (await system.api('POST', '/auth/api-keys', { token, body: { name: 'icons over nats' } })).body.data.key as string;
    const atrium = await connectAtrium({
      servers: system.natsUrl,
      pass: system.natsCredentials.client?.password,
      credential: key,
      timeoutMs: 20_000,
    });
    try {
      const madeUp = `/uploads/projects/${id}/${'A'.repeat(22)}.png`;
      const refused = await atrium.icons.set({ id, icon_path: madeUp }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'BAD_REQUEST', details: [expect.objectContaining({ path: 'icon_path' })] });
    } finally {
      await atrium.close();
    }
    expect(await iconPathOf(id, token)).toBe(current);
    expect((await served(current)).status).toBe(200);
  });

  it('serves only names of the icon shape: unknown names and traversal attempts are 404', async () => {
    const id = randomUUID();
    for (const path of [
      `/uploads/projects/${id}/${'a'.repeat(22)}.png`,
      `/uploads/projects/${id}/${'a'.repeat(22)}.svg`,
      `/uploads/projects/${id}/..%2F..%2Fetc%2Fpasswd`,
      '/uploads/projects/../../etc/passwd',
      `/uploads/projects/not-a-uuid/${'a'.repeat(22)}.png`,
    ]) {
      const response = await served(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
  });

  it('is served alike by every gateway instance: the bytes live in the bucket, not on one machine', async () => {
    const { token } = await newUser(system.api);
    const id = await newProject(token);
    // A second gateway instance, with the gateway's own NATS user and permissions.
    const second = await connectNats(system.natsUrl, 'gateway', busAuth(system.natsCredentials, 'gateway'));
    const transport = createNatsTransport(second, { timeoutMs: 20_000, signer: system.keys.gateway.signer });
    const gateway = await buildGateway({
      transport,
      broadcast: createNatsBroadcast(second),
      log: createLogger('gateway', 'silent'),
      uploads: await natsUploadStore(second, { bucket: BUCKET }),
      readiness: () => checkReadiness(transport, () => second.rtt()),
      corsOrigins: [],
      authCacheTtlMs: 30_000,
      authCacheMax: 100,
      rateLimitPerMinute: 0,
      authRateLimitPerMinute: 0,
    });
    try {
      const otherUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
      const uploaded = await upload(id, token, [{ bytes: gif() }], {}, otherUrl);
      expect(uploaded.status).toBe(200);
      const path = uploaded.body.data.icon_path as string;
      for (const base of [system.url, otherUrl]) {
        const response = await served(path, {}, base);
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer())).toEqual(gif());
      }
    } finally {
      await gateway.close();
      await second.close();
    }
  });
});

describe('the upload in the OpenAPI document', () => {
  it('is multipart/form-data with a binary file field, beside the derived operations', async () => {
    const document = (await system.api('GET', '/openapi.json')).body;
    const operation = document.paths['/projects/{id}/icon'].post;
    expect(operation.operationId).toBe('icons_set');
    expect(operation.requestBody.content['multipart/form-data'].schema).toBeDefined();
    expect(JSON.stringify(document.components.schemas.IconUpload ?? operation.requestBody.content['multipart/form-data'].schema)).toContain(
      'binary',
    );
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '404', '412', '413', '415', '429', '500', '503']);
    expect(operation.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(document.paths['/projects/{id}/icon'].delete.responses['204']).toBeDefined();
  });
});
