import type { ApiErrorCode, Operation } from '@atrium/contract';
import { API_ERROR_STATUS, LOWEST_ROLE_FOR, acceptsIdempotencyKey } from '@atrium/contract';

/** What each error code means, as the reference says it. */
export const ERROR_DESCRIPTIONS: Record<ApiErrorCode, string> = {
  BAD_REQUEST: 'Invalid input (see `error.details`), or malformed JSON',
  UNAUTHORIZED: 'Missing, invalid or expired credential',
  FORBIDDEN: 'Your role in the project does not allow this',
  NOT_FOUND: 'Not found, or not visible to you',
  CONFLICT: 'Conflicts with the current state (a name already taken, say), or a request with this Idempotency-Key is still running',
  GONE: 'No longer available',
  PAYLOAD_TOO_LARGE: 'Body larger than 1 MiB',
  UNSUPPORTED_MEDIA_TYPE: 'Body is not UTF-8 application/json, or has a Content-Encoding',
  UNPROCESSABLE_CONTENT: 'The Idempotency-Key was used with a different request',
  TOO_MANY_REQUESTS: 'Rate limited; see Retry-After',
  INTERNAL_ERROR: 'Unexpected error',
  SERVICE_UNAVAILABLE: 'A service did not answer in time',
};

/** Where the body is a multipart upload, 400, 413 and 415 are about the file. */
export const MULTIPART_ERROR_DESCRIPTIONS: Partial<Record<ApiErrorCode, string>> = {
  BAD_REQUEST: 'Not exactly one file in the form field, an empty file, or image dimensions out of range',
  PAYLOAD_TOO_LARGE: 'File larger than 1 MiB',
  UNSUPPORTED_MEDIA_TYPE: 'Not multipart/form-data, or the file is not a PNG, JPEG, WebP or GIF image (recognised by its bytes)',
};

/** The error codes an operation can answer, derived from its contract metadata. */
export function errorCodesFor(operation: Operation): ApiErrorCode[] {
  const rest = operation.rest!;
  const codes = new Set<ApiErrorCode>(['BAD_REQUEST', 'TOO_MANY_REQUESTS', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE']);
  if (rest.auth === 'user') codes.add('UNAUTHORIZED');
  if (rest.method === 'POST' || rest.method === 'PUT') {
    codes.add('PAYLOAD_TOO_LARGE');
    codes.add('UNSUPPORTED_MEDIA_TYPE');
  }
  // Project-scoped: a non-member gets 404; a 403 exists only when some role may not do this.
  if (operation.access) {
    codes.add('NOT_FOUND');
    if (LOWEST_ROLE_FOR[operation.access.action] !== 'viewer') codes.add('FORBIDDEN');
  }
  for (const code of rest.errors ?? []) codes.add(code);
  // Creating operations take an Idempotency-Key: 409 while its first request runs, 422 for another body.
  if (acceptsIdempotencyKey(operation)) {
    codes.add('CONFLICT');
    codes.add('UNPROCESSABLE_CONTENT');
  }
  return [...codes];
}

/** The same as the router's `errorResponses` meta: status → description. */
export function errorStatusesFor(operation: Operation): Record<number, string> {
  return Object.fromEntries(errorCodesFor(operation).map((code) => [API_ERROR_STATUS[code], ERROR_DESCRIPTIONS[code]]));
}
