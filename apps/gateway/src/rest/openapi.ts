import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { OpenAPIObject } from 'trpc-to-openapi';
import { errorEnvelopeSchema } from '@atrium/contract';
import type { GatewayRouter } from './router.js';
import { MULTIPART_OPERATIONS, REST_OPERATIONS } from './router.js';
import { multipartPaths } from '../uploads/openapi-paths.js';

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The part of a generated operation object this module rewrites. */
interface GeneratedOperation {
  operationId?: string;
  responses: Record<string, { description: string; content?: unknown }>;
}

/**
 * The OpenAPI document of the REST surface, generated from the gateway router (so from the
 * contracts) once at start-up, then corrected where the generator cannot know: the success
 * status of each operation (201, 204) and the envelope every error answers with.
 */
export function buildOpenApiDocument(router: GatewayRouter, baseUrl: string): OpenAPIObject {
  const securitySchemes = {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from /auth/login, or an API key' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key' },
  } as const;
  const document = generateOpenApiDocument(router, {
    title: 'Atrium API',
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

  const byOperationId = new Map([...REST_OPERATIONS.values(), ...MULTIPART_OPERATIONS].map((entry) => [entry.procedure, entry.operation]));
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operationObject of Object.values(pathItem as Record<string, GeneratedOperation | undefined>)) {
      const operation = operationObject?.operationId ? byOperationId.get(operationObject.operationId) : undefined;
      if (!operation?.rest || !operationObject) continue;
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
