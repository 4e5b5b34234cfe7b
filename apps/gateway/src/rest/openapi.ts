import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { OpenAPIObject } from 'trpc-to-openapi';
import { acceptsIdempotencyKey, errorEnvelopeSchema } from '@atrium/contract';
import type { GatewayRouter } from './router.js';
import { REST_OPERATIONS } from './router.js';

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The part of a generated operation object this module rewrites. */
interface GeneratedOperation {
  operationId?: string;
  parameters?: unknown[];
  responses: Record<string, { description: string; content?: unknown }>;
}

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

/**
 * The OpenAPI document of the REST surface, generated from the gateway router (so from the
 * contracts) once at start-up, then corrected where the generator cannot know: the success
 * status of each operation (201, 204), the envelope every error answers with, and the
 * `Idempotency-Key` header of every creating operation.
 */
export function buildOpenApiDocument(router: GatewayRouter, baseUrl: string): OpenAPIObject {
  const document = generateOpenApiDocument(router, {
    title: 'Atrium API',
    version: '1.0.0',
    description:
      'The control plane of Atrium: projects, members, environments. Every response uses the envelope ' +
      '`{"success": true, "data": …}` (lists add `next_cursor`) or `{"success": false, "error": {code, message, details}}`.',
    baseUrl,
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from /auth/login, or an API key' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key' },
    },
    defs: { Error: errorEnvelopeSchema },
  });

  const byOperationId = new Map([...REST_OPERATIONS.values()].map((entry) => [entry.procedure, entry.operation]));
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operationObject of Object.values(pathItem as Record<string, GeneratedOperation | undefined>)) {
      const operation = operationObject?.operationId ? byOperationId.get(operationObject.operationId) : undefined;
      if (!operation?.rest || !operationObject) continue;
      if (acceptsIdempotencyKey(operation)) {
        operationObject.parameters = [...(operationObject.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER];
      }
      const responses = operationObject.responses;
      const success = responses['200'];
      if (operation.rest.status !== 200) {
        delete responses['200'];
        responses[String(operation.rest.status)] =
          operation.rest.status === 204 ? { description: 'Done; no body' } : { ...success, description: 'Created' };
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) responses[status] = { description: response.description, content: { 'application/json': { schema: ERROR_REF } } };
      }
    }
  }
  return document;
}
