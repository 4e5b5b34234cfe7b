import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { operationIdOf } from '@atrium/contract';
import type { OperationEntry } from '@atrium/contract';
import { envelopeSchema } from '../rest/envelope.js';
import { errorStatusesFor } from '../rest/openapi-errors.js';

/**
 * The document entries of the multipart operations, which the REST adapter (and so the
 * generator) does not carry: built from the same contract metadata as the derived ones — path
 * parameters from the input schema, the form from `rest.multipart`, the success envelope of the
 * output and the error statuses — and merged into the generated document (`paths`).
 */
export function multipartPaths(entries: readonly OperationEntry[], securitySchemes: readonly string[]): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const entry of entries) {
    const { operation } = entry;
    const rest = operation.rest!;
    const form = rest.multipart!;
    const shape = (operation.input as z.ZodObject).shape;
    const pathParameters = [...rest.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
    const errors = Object.fromEntries(
      Object.entries(errorStatusesFor(operation)).map(([status, description]) => [status, { description }]),
    );
    paths[rest.path] = {
      ...paths[rest.path],
      [rest.method.toLowerCase()]: {
        operationId: operationIdOf(entry),
        summary: rest.summary,
        description: rest.description,
        tags: rest.tags,
        security: rest.auth === 'user' ? securitySchemes.map((name) => ({ [name]: [] })) : undefined,
        requestParams: { path: z.object(Object.fromEntries(pathParameters.map((name) => [name, shape[name]!]))) },
        requestBody: { required: true, content: { 'multipart/form-data': { schema: form } } },
        responses: {
          [rest.status]: { description: 'The updated resource', content: { 'application/json': { schema: envelopeSchema(operation) } } },
          ...errors,
        },
      },
    };
  }
  return paths;
}
