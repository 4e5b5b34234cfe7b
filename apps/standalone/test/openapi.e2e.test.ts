import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS, contracts, createProjectExample, listOperations } from '@atrium/contract';
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
      expect(item.operationId).toBe(procedure);
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

  it('describes the spec\'s project fields and the envelope', () => {
    const project = document.components.schemas.Project;
    expect(Object.keys(project.properties).sort()).toEqual(
      [
        'id', 'name', 'display_name', 'description', 'color', 'icon_path', 'single_server_mode',
        'default_server_id', 'auto_error_tracking_enabled', 'created_at', 'updated_at',
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

  it('/docs serves an interactive reference of that document', async () => {
    const page = await fetch(`${system.url}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Atrium API</title>');
    expect(html).toContain('"url": "/api/v1/openapi.json"');
  });
});
