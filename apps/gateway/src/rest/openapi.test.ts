import { describe, expect, it } from 'vitest';
import { createLocalBroadcast, createLocalTransport } from '@atrium/nats-trpc';
import { createAuthenticator } from '../auth/authenticator.js';
import { buildOpenApiDocument } from './openapi.js';
import { createGatewayRouter, REST_OPERATIONS } from './router.js';

describe('the derived router and its document', () => {
  const transport = createLocalTransport({});
  const router = createGatewayRouter(transport, createAuthenticator({ transport, broadcast: createLocalBroadcast(), ttlMs: 0, max: 1 }));
  const document = buildOpenApiDocument(router, 'http://localhost/api/v1') as any;

  it('has one procedure per REST operation of the contracts', () => {
    const procedures = Object.keys(router._def.procedures);
    expect(procedures.sort()).toEqual([...REST_OPERATIONS.keys()].sort());
  });

  it('documents 201 for creations and 204 without content for deletions', () => {
    expect(Object.keys(document.paths['/projects'].post.responses)).toContain('201');
    expect(document.paths['/projects/{id}'].delete.responses['204']).toMatchObject({ description: 'Done; no body' });
    expect(document.paths['/projects/{id}'].delete.responses['204'].content).toBeUndefined();
    expect(document.paths['/projects/{id}'].delete.responses['200']).toBeUndefined();
    expect(document.paths['/auth/register'].post.security).toEqual([]);
    expect(document.paths['/projects'].get.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  });

  it('documents 404 for every project-scoped operation and 403 where some role is refused', () => {
    const statuses = (method: string, path: string) => Object.keys(document.paths[path][method].responses);
    expect(statuses('get', '/projects/{id}')).toContain('404');
    expect(statuses('get', '/projects/{id}')).not.toContain('403');
    expect(statuses('put', '/projects/{id}')).toEqual(expect.arrayContaining(['403', '404']));
    expect(statuses('delete', '/projects/{id}')).toEqual(expect.arrayContaining(['403', '404']));
  });

  it('documents the query parameters of lists', () => {
    const names = document.paths['/projects'].get.parameters.map((p: { name: string }) => p.name);
    expect(names.sort()).toEqual(['cursor', 'limit']);
  });
});
