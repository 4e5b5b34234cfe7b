import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * Property-based fuzzing of every operation of the OpenAPI document, over real HTTP: path
 * parameters, query strings and bodies drawn from the document's own schemas, valid and
 * invalid alike. Whatever is sent, the answer is never a 5xx, always the envelope, and a refused
 * request changes nothing. `pnpm test` runs a fixed seed; `pnpm test:fuzz` runs many more cases
 * (FUZZ_RUNS cases per operation, FUZZ_SEED to replay one).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  operationId: string;
  parameters: { name: string; in: 'path' | 'query'; schema: Schema; required?: boolean }[];
  body?: Schema;
}

let system: TestSystem;
let document: any;

beforeAll(async () => {
  // Rate limits off: the fuzzer is one client sending hundreds of requests.
  system = await startTestSystem({ RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  document = await (await fetch(`${system.url}/api/v1/openapi.json`)).json();
});
afterAll(() => system?.stop());

const resolve = (schema: Schema | undefined): Schema => {
  if (!schema) return {};
  if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').at(-1)]);
  return schema;
};

function operationsOf(doc: any): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId,
        parameters: (operation.parameters ?? []).filter((p: any) => p.in === 'path' || p.in === 'query'),
        body: operation.requestBody?.content?.['application/json']?.schema,
      })),
  );
}

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '../..', '%00', '__proto__', 'constructor', 'null', '-1', '1e309', 'a'.repeat(2000)),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/**
 * A value for `schema`. Tame: of its shape (required keys present, patterns and enums kept), so
 * requests get past validation and reach the services. Wild: mostly of its shape, with made-up
 * text, wrong types and unknown keys mixed in at every level.
 */
function arbitraryFor(raw: Schema | undefined, known: Known, wild: boolean, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  const or = (tame: fc.Arbitrary<unknown>, odd: fc.Arbitrary<unknown>) => (wild ? fc.oneof(tame, odd) : tame);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((option: Schema) => arbitraryFor(option, known, wild, depth + 1)));
  const shaped = ((): fc.Arbitrary<unknown> => {
    if (schema.enum) return or(fc.constantFrom(...schema.enum), anyText);
    switch (schema.type) {
      case 'string': {
        if (schema.format === 'uuid') return or(fc.oneof(fc.constantFrom(...known.ids()), fc.uuid()), anyText);
        if (schema.format === 'date-time')
          return or(
            fc.date({ min: new Date(), max: new Date('2100-01-01') }).map((d) => d.toISOString()),
            anyText,
          );
        if (schema.format === 'email') return or(fc.emailAddress(), anyText);
        if (schema.format === 'uri') return or(fc.webUrl(), anyText);
        const text = schema.pattern
          ? fc.stringMatching(new RegExp(schema.pattern))
          : fc.string({ minLength: schema.minLength ?? 0, maxLength: 30 });
        return or(schema.maxLength ? text.filter((value) => value.length <= schema.maxLength) : text, anyText);
      }
      case 'integer':
      case 'number':
        return or(
          fc.integer({ min: schema.minimum ?? 1, max: Math.min(schema.maximum ?? 100, 100) }),
          fc.oneof(fc.double(), fc.constantFrom(-1, 2 ** 53, Number.POSITIVE_INFINITY)),
        );
      case 'boolean':
        return or(fc.boolean(), fc.constantFrom('true', 0, null));
      case 'array':
        return depth > 3 ? fc.constant([]) : fc.array(arbitraryFor(schema.items, known, wild, depth + 1), { maxLength: 3 });
      case 'object':
      case undefined: {
        if (!schema.properties || depth > 3) return anyJson;
        const properties = Object.fromEntries(
          Object.entries(schema.properties).map(([key, value]) => [key, arbitraryFor(value as Schema, known, wild, depth + 1)]),
        );
        const record = fc.record(properties, { requiredKeys: wild ? [] : (schema.required ?? []) });
        if (!wild) return record;
        return fc
          .tuple(record, fc.dictionary(anyText, anyJson, { maxKeys: 2 }), fc.boolean())
          .map(([shape, extra, withUnknownKeys]) => (withUnknownKeys ? { ...extra, ...shape } : shape));
      }
      default:
        return anyJson;
    }
  })();
  return wild ? fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: anyJson }) : shaped;
}

interface Known {
  ids(): string[];
}

/**
 * What the business tables hold, as one text: a refused request must leave it as it was. Rows of
 * deleted projects are left out: the cascade removes them a moment after an earlier, accepted
 * delete, whenever its event is handled.
 */
async function fingerprint(): Promise<string> {
  const [row] = await queryDatabase<{ state: string }>(
    system.databaseUrl,
    `select concat_ws('|',
       (select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from projects.projects t),
       (select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from projects.members t),
       (select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from environments.environments t
         where exists (select 1 from projects.projects p where p.id = t.project_id)),
       (select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from environments.variables t
         join environments.environments e on e.id = t.environment_id
         where exists (select 1 from projects.projects p where p.id = e.project_id)),
       (select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from identity.invites t
         where exists (select 1 from projects.projects p where p.id = t.project_id)),
       (select md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at')::text, ',' order by t.id), '')) from identity.api_keys t),
       (select md5(coalesce(string_agg((to_jsonb(t) - 'updated_at')::text, ',' order by t.id), '')) from identity.users t)
     ) as state`,
  );
  return row!.state;
}

/** A fresh account with one of everything, so ids in paths are real as often as made up. */
async function fixtures() {
  const owner = await newUser(system.api, 'fuzz');
  const project = (await system.api('POST', '/projects', { token: owner.token, body: { name: `fuzz-${randomUUID().slice(0, 8)}` } })).body
    .data;
  const environments = (await system.api('GET', `/projects/${project.id}/environments`, { token: owner.token })).body.data;
  const invite = (
    await system.api('POST', `/projects/${project.id}/invites`, {
      token: owner.token,
      body: { email: `i-${randomUUID()}@example.com`, role: 'member' },
    })
  ).body?.data;
  return { owner, ids: [project.id, owner.id, ...environments.map((e: { id: string }) => e.id), ...(invite ? [invite.id] : [])] };
}

describe('every operation of the OpenAPI document, fuzzed', () => {
  // Each case is a few requests and database reads: its time grows with FUZZ_RUNS.
  it('never answers 5xx or outside the envelope, and a refused request changes nothing', {
    timeout: 60_000 + RUNS * 40 * 250,
  }, async () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThanOrEqual(30);
    let tried = 0;
    const statuses = new Map<number, number>();
    for (const operation of operations) {
      const { owner, ids } = await fixtures();
      const known: Known = { ids: () => ids };
      const pathParameters = operation.parameters.filter((p) => p.in === 'path');
      const queryParameters = operation.parameters.filter((p) => p.in === 'query');
      const request = fc.boolean().chain((wild) => {
        const queryPairs = [
          ...queryParameters.map((p) =>
            arbitraryFor(p.schema, known, wild).map((value): [string, string] => [
              p.name,
              typeof value === 'string' ? value : JSON.stringify(value),
            ]),
          ),
          ...(wild ? [fc.tuple(anyText, anyText)] : []),
        ];
        const id = wild ? fc.oneof(fc.constantFrom(...ids), fc.uuid(), anyText) : fc.oneof(fc.constantFrom(...ids), fc.uuid());
        return fc.record({
          path: fc.record(Object.fromEntries(pathParameters.map((p) => [p.name, id]))),
          query: queryPairs.length ? fc.array(fc.oneof(...queryPairs), { maxLength: 3 }) : fc.constant([]),
          body: operation.body
            ? arbitraryFor(operation.body, known, wild)
            : ['GET', 'HEAD'].includes(operation.method) || !wild
              ? fc.constant(undefined)
              : fc.option(anyJson, { nil: undefined }),
          authenticated: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        });
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ path, query, body, authenticated }) => {
          tried++;
          const url = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(String(path[name] ?? '')));
          const search = new URLSearchParams(query);
          const mutates = operation.method !== 'GET';
          const before = mutates ? await fingerprint() : undefined;
          const response = await system.api(operation.method, `${url}${query.length ? `?${search}` : ''}`, {
            token: authenticated ? owner.token : undefined,
            ...(body === undefined ? {} : { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const label = `${operation.method} ${url} ${JSON.stringify(body)?.slice(0, 200)} → ${response.status} ${response.text.slice(0, 300)}`;
          expect(response.status, label).toBeLessThan(500);
          if (response.status === 204) return;
          expect(response.body, label).toEqual(expect.objectContaining({ success: response.status < 400 }));
          if (response.status >= 400) {
            expect(response.body.error, label).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
            if (mutates) expect(await fingerprint(), `${label}: a refused request changed something`).toBe(before);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
    console.info(
      `fuzz: ${tried} requests over ${operations.length} operations (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(tried).toBe(operations.length * RUNS);
  });
});
