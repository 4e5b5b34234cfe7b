import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_ERROR_STATUS, PROJECT_ROLES, contracts, listOperations, roleAllows } from '@atrium/contract';
import type { Operation, ProjectRole } from '@atrium/contract';
import { queryDatabase } from '@atrium/test-kit';
import { png } from './support/images.js';
import { newUser, startTestSystem } from './support/system.js';
import type { ApiResponse, TestSystem } from './support/system.js';

/**
 * The role table, cell by cell: every project-scoped REST operation of the contract (later ones
 * join by declaring `access`) × every kind of caller, over real HTTP, with the exact status of
 * each refusal — anonymous 401, non-member 404 as if the project did not exist, a role below the
 * action's lowest role 403 — and, for the roles let through, an answer the operation declares
 * that is not a refusal.
 */

let system: TestSystem;
type User = Awaited<ReturnType<typeof newUser>>;
const users = {} as Record<ProjectRole | 'outsider', User>;

beforeAll(async () => {
  // Many users register here: the sign-up rate limit is another test's subject.
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  for (const who of [...PROJECT_ROLES, 'outsider'] as const) users[who] = await newUser(system.api, who);
});
afterAll(() => system?.stop());

const projectScoped = contracts
  .flatMap((contract) => listOperations(contract))
  .filter((entry): entry is typeof entry & { operation: Operation & { rest: object; access: object } } =>
    Boolean(entry.operation.rest && entry.operation.access),
  );

interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  examples?: unknown[];
  example?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
}

/** A value for a field: its example, else the simplest value its schema accepts. */
function sampleOf(schema: JsonSchema): unknown {
  if (schema.examples?.length) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum.at(-1);
  if (schema.anyOf?.[0]) return sampleOf(schema.anyOf[0]);
  if (schema.format === 'uuid') return randomUUID();
  if (schema.type === 'boolean') return false;
  if (schema.type === 'integer' || schema.type === 'number') return 1;
  return 'sample';
}

/** The request a REST consumer would send: the project's id in the URL, other ids random, a valid body. */
function requestFor(
  operation: Operation & { rest: NonNullable<Operation['rest']>; access: NonNullable<Operation['access']> },
  projectId: string,
) {
  const json = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const example = (json.examples?.[0] ?? {}) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const name of json.required ?? []) fields[name] = example[name] ?? sampleOf(json.properties?.[name] ?? {});
  for (const [name, value] of Object.entries(example)) fields[name] ??= value;
  fields[operation.access.projectId] = projectId;

  const inPath = new Set<string>();
  const path = operation.rest.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    inPath.add(name);
    return encodeURIComponent(String(fields[name] ?? sampleOf(json.properties?.[name] ?? {})));
  });
  const rest = Object.fromEntries(Object.entries(fields).filter(([name]) => !inPath.has(name)));
  // A multipart operation takes its form, not its input: every binary field gets a valid image.
  if (operation.rest.multipart) {
    const form = new FormData();
    for (const [name, field] of Object.entries(operation.rest.multipart.shape)) {
      if ((field as { meta(): { format?: string } | undefined }).meta()?.format === 'binary')
        form.append(name, new Blob([png()]), `${name}.png`);
    }
    return { method: operation.rest.method, path, body: undefined, form };
  }
  if (operation.rest.method === 'GET' || operation.rest.method === 'DELETE') {
    const query = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return { method: operation.rest.method, path: query ? `${path}?${query}` : path, body: undefined };
  }
  return { method: operation.rest.method, path, body: rest };
}

async function projectWithEveryRole(): Promise<string> {
  const created = await system.api('POST', '/projects', { token: users.owner.token, body: { name: `roles-${randomUUID().slice(0, 8)}` } });
  expect(created.status).toBe(201);
  const projectId = created.body.data.id as string;
  for (const role of ['admin', 'member', 'viewer'] as const) {
    await queryDatabase(
      system.databaseUrl,
      `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, $4, now(), now())`,
      [randomUUID(), projectId, users[role].id, role],
    );
  }
  return projectId;
}

/** A multipart request, as a browser's form sends it (the API client speaks JSON). */
async function sendForm(method: string, path: string, form: FormData, token?: string): Promise<ApiResponse> {
  const response = await fetch(`${system.url}/api/v1${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}

const describeCell = (response: ApiResponse) => `${response.status} ${response.text.slice(0, 200)}`;

describe('the role table, for every project-scoped operation × caller', () => {
  it('covers operations of the contract', () => {
    expect(projectScoped.map((entry) => entry.procedure)).toEqual(
      expect.arrayContaining(['projects.get', 'projects.update', 'projects.delete']),
    );
  });

  for (const { service, procedure, operation } of projectScoped) {
    it(`${service}.${procedure} (${operation.rest.method} ${operation.rest.path}, lowest role: ${operation.access.action})`, async () => {
      const projectId = await projectWithEveryRole();
      const { method, path, body, form } = requestFor(operation, projectId);
      const call = (token?: string) => (form ? sendForm(method, path, form, token) : system.api(method, path, { token, body }));

      const anonymous = await call();
      expect(anonymous.status, describeCell(anonymous)).toBe(401);

      const notFound = { success: false, error: { code: 'NOT_FOUND', message: 'Project not found' } };
      const outsider = await call(users.outsider.token);
      expect(outsider.status, describeCell(outsider)).toBe(404);
      expect(outsider.body).toEqual(notFound);
      // …exactly what a project that does not exist answers.
      const elsewhere = path.replace(projectId, randomUUID());
      const missing = form
        ? await sendForm(method, elsewhere, form, users.owner.token)
        : await system.api(method, elsewhere, { token: users.owner.token, body });
      expect(missing.body).toEqual(notFound);

      // What the operation documents: its success, its errors, and the 404 every project-scoped one has.
      const declared = new Set<number>([
        operation.rest.status,
        404,
        ...(operation.rest.errors ?? []).map((code) => API_ERROR_STATUS[code]),
      ]);
      // Lowest role first, the owner last: an owner-only operation may end the project.
      for (const role of [...PROJECT_ROLES].reverse()) {
        const response = await call(users[role].token);
        const cell = `${role}: ${describeCell(response)}`;
        if (roleAllows(role, operation.access.action)) {
          expect(declared.has(response.status), cell).toBe(true);
          expect(response.body?.error?.message, cell).not.toBe('Project not found');
        } else {
          expect(response.status, cell).toBe(403);
          expect(response.body.error.code, cell).toBe('FORBIDDEN');
        }
      }
    });
  }
});
