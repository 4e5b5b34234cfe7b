import { createConfig, lintFromString } from '@redocly/openapi-core';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_ERROR_STATUS,
  API_TAGS,
  LOWEST_ROLE_FOR,
  contracts,
  createProjectExample,
  listOperations,
  operationIdOf,
} from '@atrium/contract';
import type { ApiTag } from '@atrium/contract';
import { startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let document: any;
beforeAll(async () => {
  system = await startTestSystem();
  document = await (await fetch(`${system.url}/api/v1/openapi.json`)).json();
});
afterAll(() => system?.stop());

const restOperations = contracts.flatMap((contract) => listOperations(contract)).filter((entry) => entry.operation.rest);

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.x', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('lists every REST operation of the contracts with its success status and response schema', () => {
    expect(restOperations.length).toBeGreaterThanOrEqual(13);
    for (const { procedure, operation } of restOperations) {
      const rest = operation.rest!;
      const item = document.paths[rest.path]?.[rest.method.toLowerCase()];
      expect(item, `${rest.method} ${rest.path}`).toBeDefined();
      expect(item.operationId).toBe(operationIdOf({ procedure }));
      const statuses = Object.keys(item.responses);
      expect(statuses).toContain(String(rest.status));
      if (rest.status !== 200) expect(statuses).not.toContain('200');
      const success = item.responses[String(rest.status)];
      if (rest.status === 204) expect(success.content).toBeUndefined();
      else expect(success.content['application/json'].schema).toBeTruthy();
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(item.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
      expect(Boolean(item.security?.length), `${procedure} security`).toBe(rest.auth === 'user');
      const declared = [...(rest.errors ?? []), ...(rest.auth === 'user' ? ['UNAUTHORIZED' as const] : [])];
      for (const code of declared) expect(statuses, `${procedure} documents ${code}`).toContain(String(API_ERROR_STATUS[code]));
    }
  });

  it('describes every operation: what it does, who may call it, its rules', () => {
    for (const { procedure, operation } of restOperations) {
      const rest = operation.rest!;
      const item = document.paths[rest.path][rest.method.toLowerCase()];
      expect(item.summary, procedure).toBe(rest.summary);
      expect(item.description, `${procedure} description`).toBe(rest.description);
      expect(item.description?.length ?? 0, `${procedure} description`).toBeGreaterThan(rest.summary.length);
    }
  });

  it('says when each operation answers each error, never only what the status means in general', () => {
    // The descriptions every operation shared before errors were described per operation.
    const generic = new Set([
      'Missing, invalid or expired credential',
      'Your role in the project does not allow this',
      'Not found, or not visible to you',
      'Conflicts with the current state (a name already taken, say), or a request with this Idempotency-Key is still running',
      'No longer available',
    ]);
    const byStatus = new Map<string, Map<string, string[]>>();
    for (const { procedure, operation } of restOperations) {
      const rest = operation.rest!;
      const responses = document.paths[rest.path][rest.method.toLowerCase()].responses;
      for (const [status, response] of Object.entries<any>(responses)) {
        if (Number(status) < 400) continue;
        expect(response.description, `${procedure} ${status}`).toMatch(/\S/);
        if (['401', '403', '404', '409', '410'].includes(status))
          expect(generic.has(response.description), `${procedure} ${status}`).toBe(false);
        const texts = byStatus.get(status) ?? new Map<string, string[]>();
        texts.set(response.description, [...(texts.get(response.description) ?? []), procedure]);
        byStatus.set(status, texts);
      }
    }
    // Every 409 means something of its own.
    for (const [text, procedures] of byStatus.get('409') ?? []) expect(procedures, text).toHaveLength(1);
    // A 403 shared by several operations is the derived one, naming the same lowest role.
    for (const [text, procedures] of byStatus.get('403') ?? []) {
      if (procedures.length === 1) continue;
      const lowest = new Set(
        procedures.map((procedure) => {
          const operation = restOperations.find((entry) => entry.procedure === procedure)!.operation;
          return operation.access ? LOWEST_ROLE_FOR[operation.access.action] : undefined;
        }),
      );
      expect([...lowest], text).toHaveLength(1);
      expect([...lowest][0], text).toBeDefined();
    }
    // An operation on something below a project (a second path parameter) says that it may be that something which is missing.
    const projectOnly = document.paths['/projects/{id}'].get.responses['404'].description;
    expect(projectOnly).toMatch(/not a member/);
    for (const { procedure, operation } of restOperations) {
      const rest = operation.rest!;
      if (!operation.access || [...rest.path.matchAll(/\{/g)].length < 2) continue;
      const text = document.paths[rest.path][rest.method.toLowerCase()].responses['404'].description;
      expect(text, procedure).not.toBe(projectOnly);
      expect(text, procedure).toMatch(/not a member/);
    }
    // The examples the issue names.
    const responses = (method: string, path: string) => document.paths[path][method].responses;
    expect(responses('post', '/auth/register')['403'].description).toMatch(/invite-only.*no pending.*invite for this e-mail/);
    expect(responses('post', '/auth/login')['401'].description).not.toBe(responses('get', '/auth/me')['401'].description);
    expect(responses('post', '/invites/{token}/accept')['410'].description).toMatch(/expired|cancelled/);
    expect(responses('post', '/projects')['409'].description).toMatch(/name.*Idempotency-Key/);
  });

  it('makes bearerAuth the default security, which public operations override with none', () => {
    expect(document.security?.[0]).toEqual({ bearerAuth: [] });
    for (const requirement of document.security)
      for (const name of Object.keys(requirement)) expect(document.components.securitySchemes[name]).toBeDefined();
    for (const { procedure, operation } of restOperations) {
      const item = document.paths[operation.rest!.path][operation.rest!.method.toLowerCase()];
      if (operation.rest!.auth === 'public') expect(item.security, procedure).toEqual([]);
    }
  });

  it('documents the 401 of a failed sign-in and a body-less logout', () => {
    expect(Object.keys(document.paths['/auth/login'].post.responses)).toContain('401');
    expect(document.paths['/auth/logout'].post.requestBody?.required ?? false).toBe(false);
  });

  it("describes the spec's project fields and the envelope", () => {
    const project = document.components.schemas.Project;
    expect(Object.keys(project.properties).sort()).toEqual(
      [
        'id',
        'name',
        'display_name',
        'description',
        'color',
        'icon_path',
        'single_server_mode',
        'default_server_id',
        'auto_error_tracking_enabled',
        'version',
        'created_at',
        'updated_at',
      ].sort(),
    );
    const create = document.paths['/projects'].post;
    const createdSchema = create.responses['201'].content['application/json'].schema;
    expect(createdSchema.properties.success).toBeDefined();
    expect(createdSchema.properties.data).toEqual({ $ref: '#/components/schemas/Project' });
    expect(create.requestBody.content['application/json'].schema).toBeTruthy();
    expect(create.requestBody.content['application/json'].schema.examples).toEqual([createProjectExample]);
    expect(document.components.schemas.Error.properties.error.properties.code.enum).toContain('NOT_FOUND');
  });

  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: `${system.url}/api/v1/openapi.json`, config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`)).toEqual([]);
    expect(problems.filter((p) => p.severity === 'error')).toHaveLength(0);
    expect(problems.filter((p) => p.severity === 'warn')).toHaveLength(0);
  });

  it('describes every field and parameter', () => {
    const undescribed: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) visit(item, `${where}/${i}`);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, { description?: string; $ref?: string }> }).properties;
      for (const [name, property] of Object.entries(properties ?? {})) {
        // A reference is described by the component it points at.
        if (!property.$ref && !property.description) undescribed.push(`${where}.${name}`);
      }
      for (const [key, value] of Object.entries(node)) visit(value, `${where}/${key}`);
    };
    visit(document.paths, '#/paths');
    visit(document.components.schemas, '#/components/schemas');
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        for (const parameter of operation.parameters ?? [])
          if (!parameter.description) undescribed.push(`${method} ${path} ?${parameter.name}`);
      }
    }
    expect(undescribed).toEqual([]);
  });

  it('gives every error response an example of its own code, and every response its headers', () => {
    const codeOfStatus = new Map(Object.entries(API_ERROR_STATUS).map(([code, status]) => [String(status), code]));
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          const where = `${method} ${path} ${status}`;
          expect(response.headers?.['X-Request-Id'], where).toEqual({ $ref: '#/components/headers/X-Request-Id' });
          expect(Boolean(response.headers?.['Retry-After']), where).toBe(status === '429');
          if (Number(status) < 400) continue;
          const example = response.content['application/json'].example;
          expect(example.success, where).toBe(false);
          expect(example.error.code, where).toBe(codeOfStatus.get(status));
        }
      }
    }
    expect(Object.keys(document.components.headers).sort()).toEqual(
      ['ETag', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id'].sort(),
    );
  });

  it('documents conditional requests: If-None-Match and 304 on reads, If-Match and 412 on writes, the ETag of their answers', () => {
    const names = (operation: any) => (operation.parameters ?? []).map((parameter: { name: string }) => parameter.name);
    const environment = document.paths['/projects/{projectId}/environments/{envId}'];
    expect(names(environment.get)).toContain('If-None-Match');
    expect(Object.keys(environment.get.responses)).toContain('304');
    expect(environment.get.responses['304'].content).toBeUndefined();
    expect(environment.get.responses['200'].headers.ETag).toEqual({ $ref: '#/components/headers/ETag' });
    for (const operation of [
      environment.put,
      environment.delete,
      document.paths['/projects/{id}'].put,
      document.paths['/projects/{id}'].delete,
    ]) {
      expect(names(operation)).toContain('If-Match');
      expect(operation.responses['412'].description).toMatch(/If-Match/);
      expect(operation.responses['412'].content['application/json'].example.error.code).toBe('PRECONDITION_FAILED');
    }
    expect(environment.put.responses['200'].headers.ETag).toBeDefined();
    const variable = document.paths['/projects/{projectId}/environments/{envId}/variables/{key}'];
    expect(names(variable.put)).toContain('If-Match');
    expect(document.components.schemas.Variable.properties.version).toBeDefined();
    // The precondition comes from the header only: no body field carries it.
    expect(environment.put.requestBody.content['application/json'].schema.properties.if_match).toBeUndefined();
    expect(document.components.schemas.Error.properties.error.properties.code.enum).toContain('PRECONDITION_FAILED');
    // Unconditional operations say nothing of it.
    expect(names(document.paths['/projects'].get)).not.toContain('If-None-Match');
    expect(Object.keys(document.paths['/projects'].post.responses)).not.toContain('412');
  });

  it('lists its tags with descriptions and names operations for generated clients', () => {
    const used = new Set(restOperations.flatMap(({ operation }) => operation.rest!.tags));
    expect(document.tags.map((tag: { name: string }) => tag.name).sort()).toEqual([...used].sort());
    for (const tag of document.tags) expect(tag.description, tag.name).toBe(API_TAGS[tag.name as ApiTag]);
    const ids = Object.values<any>(document.paths).flatMap((item) => Object.values<any>(item).map((operation) => operation.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    // A valid identifier in every language a generator writes, so it needs no renaming.
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*$/);
  });

  it('/docs serves an interactive reference of that document', async () => {
    const page = await fetch(`${system.url}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Atrium API</title>');
    expect(html).toContain('"url": "/api/v1/openapi.json"');
  });
});
