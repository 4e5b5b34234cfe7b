import type { ApiErrorCode } from '@atrium/contract';
import { API_ERROR_STATUS } from '@atrium/contract';

/** The headers the gateway sends, documented once and referred to from every response. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      'The id of this request: the one the client sent when it was sane, else a new one. It follows the call into every log line.',
    schema: { type: 'string' },
  },
  'X-RateLimit-Limit': {
    description: 'Requests this client address may make per minute (when rate limiting is on)',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': { description: 'Requests left in the current minute', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until the budget is renewed', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } },
  ETag: {
    description:
      'The strong entity-tag of the resource as answered: its `version` in quotes (`"3"`). Send it back in `If-Match` to write only over this version, or in `If-None-Match` to read only if it changed',
    schema: { type: 'string', example: '"3"' },
  },
} as const;

const ref = (name: keyof typeof RESPONSE_HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** The headers a response with this status carries; `etag` for a conditional operation's success and 304. */
export function headersFor(status: number, etag = false): Record<string, { $ref: string }> {
  const headers: Record<string, { $ref: string }> = {
    'X-Request-Id': ref('X-Request-Id'),
    'X-RateLimit-Limit': ref('X-RateLimit-Limit'),
    'X-RateLimit-Remaining': ref('X-RateLimit-Remaining'),
    'X-RateLimit-Reset': ref('X-RateLimit-Reset'),
  };
  if (status === API_ERROR_STATUS.TOO_MANY_REQUESTS) headers['Retry-After'] = ref('Retry-After');
  if (etag) headers.ETag = ref('ETag');
  return headers;
}

/** A message each code could really carry, so the reference shows a believable answer. */
const EXAMPLE_MESSAGES: Record<ApiErrorCode, string> = {
  BAD_REQUEST: 'Invalid input: name: must be lowercase letters, digits and hyphens',
  UNAUTHORIZED: 'Authentication required: send Authorization: Bearer <token> or x-api-key: <key>',
  FORBIDDEN: 'Your role in this project does not allow this',
  NOT_FOUND: 'Project not found',
  CONFLICT: 'A project named "my-saas" already exists',
  GONE: 'This invite has expired',
  PRECONDITION_FAILED: 'The environment has changed since you read it (If-Match "3" does not match its ETag "4")',
  PAYLOAD_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported Media Type: text/plain',
  UNPROCESSABLE_CONTENT: 'This Idempotency-Key was already used with a different request',
  TOO_MANY_REQUESTS: 'Too many requests; retry in 42 s',
  INTERNAL_ERROR: 'Internal error',
  SERVICE_UNAVAILABLE: 'The projects service did not answer in time',
};

/**
 * The documented answer for one error code: its description (when the operation answers it: see
 * `errorDescriptionFor`), headers, the envelope and an example with that code.
 */
export function errorResponse(code: ApiErrorCode, description: string) {
  const error: { code: ApiErrorCode; message: string; details?: { path: string; message: string }[] } = {
    code,
    message: EXAMPLE_MESSAGES[code],
  };
  if (code === 'BAD_REQUEST') error.details = [{ path: 'name', message: 'must be lowercase letters, digits and hyphens' }];
  return {
    description,
    headers: headersFor(API_ERROR_STATUS[code]),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { success: false, error } } },
  };
}
