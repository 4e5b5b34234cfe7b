import { createConfig, lintFromString } from '@redocly/openapi-core';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS, API_TAGS, contracts, createProjectExample, listOperations, operationIdOf } from '@atrium/contract';
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
      ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id'].sort(),
    );
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
