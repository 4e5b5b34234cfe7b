import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { OpenAPIObject } from 'trpc-to-openapi';
import { API_ERROR_STATUS, API_TAGS, acceptsIdempotencyKey, errorEnvelopeSchema, operationIdOf } from '@atrium/contract';
import type { ApiTag } from '@atrium/contract';
import { errorCodesFor, errorDescriptionFor } from './openapi-errors.js';
import { errorResponse, headersFor, RESPONSE_HEADERS } from './openapi-responses.js';
import type { GatewayRouter } from './router.js';
import { MULTIPART_OPERATIONS, REST_OPERATIONS } from './router.js';
import { multipartPaths } from '../uploads/openapi-paths.js';

/** The part of a generated operation object this module rewrites. */
interface GeneratedOperation {
  operationId?: string;
  security?: unknown[];
  parameters?: {
    name?: string;
    in?: string;
    required?: boolean;
    description?: string;
    schema?: Record<string, unknown> & { description?: string };
  }[];
  responses: Record<string, { description: string; content?: unknown; headers?: unknown }>;
}

/** Drops component schemas nothing refers to (the generator registers some that the document never uses). */
function pruneUnusedSchemas(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(value);
    }
  };
  visit(document.paths);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

/** The document's title, which the reference page at /docs also shows. */
export const OPENAPI_TITLE = 'Atrium API';

/** The header every creating operation takes (see `acceptsIdempotencyKey`). */
const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the request safe to retry (after a 503 or a lost connection, say): the same key with the same ' +
    'body within 24 hours answers the first answer again (status and body) without doing anything twice; ' +
    'the same key with a different body is a 422; while the first request is still running, a 409. ' +
    'Keys are per caller; use a fresh random one (a UUID) per intended change.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
};

/** The header of conditional writes (`rest.conditional: 'write'`; docs/api-contract.md, Conditional requests). */
const IF_MATCH_PARAMETER = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'Optimistic concurrency: the `ETag` you read (`"3"`), or several separated by commas. The write applies only if the ' +
    "resource's current ETag is one of them, checked in the same statement that writes (of concurrent writers holding the same " +
    'ETag exactly one succeeds); otherwise 412 and nothing changes. `*` matches any existing resource. Strong comparison: weak ' +
    'tags (`W/"3"`) never match. Without it the write is unconditional.',
  schema: { type: 'string', example: '"3"' },
};

/** The header of conditional reads (`rest.conditional: 'read'`). */
const IF_NONE_MATCH_PARAMETER = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description:
    'The `ETag` you already have (or several, separated by commas; `*` for any): when it is the current one the answer is ' +
    '304 with no body (and the `ETag` header), else the resource as without this header.',
  schema: { type: 'string', example: '"3"' },
};

/**
 * The OpenAPI document of the REST surface, generated from the gateway router (so from the
 * contracts) once, on its first request, then completed from the contract where the generator cannot
 * know: each operation's success status (201, 204), its errors (each described for that
 * operation — `errorDescriptionFor` — with an example of its own code), the headers every
 * response carries, the default security (`bearerAuth`, or an API key) and that public
 * operations need no credential, the `Idempotency-Key` header of creating operations, and the
 * tags' descriptions.
 */
export function buildOpenApiDocument(router: GatewayRouter, baseUrl: string): OpenAPIObject {
  const securitySchemes = {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from /auth/login, or an API key' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key' },
  } as const;
  const document = generateOpenApiDocument(router, {
    title: OPENAPI_TITLE,
    version: '1.0.0',
    description:
      'The control plane of Atrium: projects, members, environments. Every response uses the envelope ' +
      '`{"success": true, "data": …}` (lists add `next_cursor`) or `{"success": false, "error": {code, message, details}}`.',
    baseUrl,
    securitySchemes,
    // The one exception to "derived by the generator": multipart operations, from the same contract metadata.
    paths: multipartPaths(MULTIPART_OPERATIONS, Object.keys(securitySchemes)),
    defs: { Error: errorEnvelopeSchema },
  });
  // The repository carries no licence, so its API is proprietary; said in SPDX's form for custom terms.
  document.info.license = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' };
  // Most operations need a credential: the default, so the reference page preselects the bearer
  // token. Every operation still states its own (public ones `security: []`).
  document.security = Object.keys(securitySchemes).map((name) => ({ [name]: [] }));

  const byOperationId = new Map(
    [...REST_OPERATIONS.values(), ...MULTIPART_OPERATIONS].map((entry) => [operationIdOf(entry), entry.operation]),
  );
  const tagsUsed = new Set<string>();
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operationObject of Object.values(pathItem as Record<string, GeneratedOperation | undefined>)) {
      const operation = operationObject?.operationId ? byOperationId.get(operationObject.operationId) : undefined;
      if (!operation?.rest || !operationObject) continue;
      const rest = operation.rest;
      for (const tag of rest.tags) tagsUsed.add(tag);
      // Public operations need no credential: an empty requirement says so, an absent one leaves it open.
      if (rest.auth === 'public') operationObject.security = [];
      // The contract describes a query parameter on its schema; readers and generators look at the parameter.
      for (const parameter of operationObject.parameters ?? []) parameter.description ??= parameter.schema?.description;
      if (acceptsIdempotencyKey(operation)) operationObject.parameters = [...(operationObject.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER];
      if (rest.conditional) {
        const parameter = rest.conditional === 'write' ? IF_MATCH_PARAMETER : IF_NONE_MATCH_PARAMETER;
        operationObject.parameters = [...(operationObject.parameters ?? []), parameter];
      }
      // A conditional operation's answer (204s aside) carries the resource's ETag; a conditional read may answer 304.
      const etag = rest.conditional !== undefined && rest.status !== 204;
      const notModified: GeneratedOperation['responses'] =
        rest.conditional === 'read'
          ? {
              '304': {
                description: 'Not modified: `If-None-Match` named the current `ETag`. No body; the `ETag` header repeats it',
                headers: headersFor(304, true),
              },
            }
          : {};

      const generated = operationObject.responses['200'];
      const success =
        rest.status === 204
          ? { description: 'Done; no body' }
          : { ...generated, description: rest.status === 201 ? 'Created' : (generated?.description ?? 'Successful response') };
      const errors = errorCodesFor(operation)
        .sort((a, b) => API_ERROR_STATUS[a] - API_ERROR_STATUS[b])
        .map((code) => [String(API_ERROR_STATUS[code]), errorResponse(code, errorDescriptionFor(operation, code))] as const);
      operationObject.responses = {
        [String(rest.status)]: { ...success, headers: headersFor(rest.status, etag) },
        ...notModified,
        ...Object.fromEntries(errors),
      };
    }
  }

  document.tags = (Object.keys(API_TAGS) as ApiTag[])
    .filter((tag) => tagsUsed.has(tag))
    .map((name) => ({ name, description: API_TAGS[name] }));
  document.components = { ...document.components, headers: RESPONSE_HEADERS as never };
  pruneUnusedSchemas(document);
  return document;
}
