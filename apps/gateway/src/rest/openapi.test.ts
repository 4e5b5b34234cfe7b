import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LOWEST_ROLE_FOR, mutation } from '@atrium/contract';
import type { ApiErrorCode, Operation, RestBinding } from '@atrium/contract';
import { createLocalBroadcast, createLocalTransport } from '@atrium/nats-trpc';
import { createAuthenticator } from '../auth/authenticator.js';
import { buildOpenApiDocument } from './openapi.js';
import { ERROR_DESCRIPTIONS, OPERATION_SPECIFIC_CODES, errorCodesFor, errorDescriptionFor } from './openapi-errors.js';
import { createGatewayRouter, MULTIPART_OPERATIONS, REST_OPERATIONS } from './router.js';

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

  it('sets bearerAuth (or an API key) as the default security, which public operations override', () => {
    expect(document.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(document.paths['/auth/login'].post.security).toEqual([]);
    expect(document.paths['/invites/{token}'].get.security).toEqual([]);
  });
});

describe('per-operation error descriptions', () => {
  const entries = [...REST_OPERATIONS.values(), ...MULTIPART_OPERATIONS];

  it('describe every error every operation answers, never with the general text where the meaning depends on the operation', () => {
    for (const { procedure, operation } of entries) {
      for (const code of errorCodesFor(operation)) {
        const description = errorDescriptionFor(operation, code);
        expect(description, `${procedure} ${code}`).toMatch(/\S/);
        if (OPERATION_SPECIFIC_CODES.includes(code)) expect(description, `${procedure} ${code}`).not.toBe(ERROR_DESCRIPTIONS[code]);
      }
    }
  });

  it('are given in the contract only for errors the operation can answer', () => {
    for (const { procedure, operation } of entries) {
      const answered = errorCodesFor(operation);
      for (const code of Object.keys(operation.rest!.errorDescriptions ?? {}) as ApiErrorCode[])
        expect(answered, `${procedure} describes ${code}, which it never answers`).toContain(code);
    }
  });

  it("derive a project-scoped operation's 403 from the lowest role allowed, and its 404 from membership", () => {
    const deleteProject = entries.find((e) => e.procedure === 'projects.delete')!;
    expect(errorDescriptionFor(deleteProject.operation, 'FORBIDDEN')).toMatch(/owner/);
    for (const { procedure, operation } of entries) {
      if (!operation.access || operation.rest!.errorDescriptions?.FORBIDDEN) continue;
      const lowest = LOWEST_ROLE_FOR[operation.access.action];
      if (lowest === 'viewer') continue;
      expect(errorDescriptionFor(operation, 'FORBIDDEN'), procedure).toContain(lowest);
      expect(errorDescriptionFor(operation, 'NOT_FOUND'), procedure).toMatch(/not a member/);
    }
  });

  it("add the Idempotency-Key case to a creating operation's own 409", () => {
    const createProject = entries.find((e) => e.procedure === 'projects.create')!.operation;
    const conflict = errorDescriptionFor(createProject, 'CONFLICT');
    expect(conflict).toContain(createProject.rest!.errorDescriptions!.CONFLICT!);
    expect(conflict).toContain('Idempotency-Key');
  });

  it('refuse to document a 403, 404, 409 or 410 that the operation does not explain', () => {
    const base = { input: z.strictObject({}), output: z.void() };
    const rest: RestBinding = { method: 'POST', path: '/things', status: 200, auth: 'public', summary: 'A thing', tags: ['Auth'] };
    for (const code of ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'GONE'] as const) {
      const bare: Operation = mutation({ ...base, rest: { ...rest, errors: [code] } });
      expect(() => errorDescriptionFor(bare, code), code).toThrow(/does not say when/);
      const explained: Operation = mutation({ ...base, rest: { ...rest, errors: [code], errorDescriptions: { [code]: 'When it is so' } } });
      expect(errorDescriptionFor(explained, code)).toBe('When it is so');
    }
  });
});
