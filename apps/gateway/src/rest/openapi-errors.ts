import type { ApiErrorCode, Operation, ProjectRole } from '@atrium/contract';
import { API_ERROR_STATUS, LOWEST_ROLE_FOR, PROJECT_ROLES, READ_ACTIONS, acceptsIdempotencyKey } from '@atrium/contract';

/**
 * What each error code means in general (the reference's Errors table). An operation's document
 * says more: see `errorDescriptionFor`, which uses these only for the codes whose meaning is the
 * same for every operation (400, 413, 415, 500…).
 */
export const ERROR_DESCRIPTIONS: Record<ApiErrorCode, string> = {
  BAD_REQUEST: 'Invalid input (see `error.details`), or malformed JSON',
  UNAUTHORIZED: 'Missing, invalid or expired credential',
  FORBIDDEN: 'Your role in the project does not allow this, or your API key is scoped (read-only, or limited to some projects)',
  NOT_FOUND: 'Not found, or not visible to you',
  CONFLICT: 'Conflicts with the current state (a name already taken, say), or a request with this Idempotency-Key is still running',
  GONE: 'No longer available',
  PRECONDITION_FAILED: "The If-Match header names none of the resource's current ETag; nothing was changed",
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

/**
 * The codes whose meaning depends on the operation: each operation answering one of these must
 * say when, in its contract (`rest.errorDescriptions`) or by a default derived from its metadata
 * (a project-scoped operation's 404 and 403, a creating operation's Idempotency-Key 409).
 */
export const OPERATION_SPECIFIC_CODES: readonly ApiErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'GONE'];

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
    if (LOWEST_ROLE_FOR[operation.access.action] !== 'viewer' || !READ_ACTIONS.has(operation.access.action)) codes.add('FORBIDDEN');
  } else if (refusesScopedKeys(operation)) codes.add('FORBIDDEN');
  for (const code of rest.errors ?? []) codes.add(code);
  // A conditional write refuses a stale If-Match.
  if (rest.conditional === 'write') codes.add('PRECONDITION_FAILED');
  // Creating operations take an Idempotency-Key: 409 while its first request runs, 422 for another body.
  if (acceptsIdempotencyKey(operation)) {
    codes.add('CONFLICT');
    codes.add('UNPROCESSABLE_CONTENT');
  }
  return [...codes];
}

/**
 * Whether scoped API keys can be refused this operation that is not project-scoped (403): it
 * then says when in its contract (`errorDescriptions.FORBIDDEN`), in its own words.
 */
function refusesScopedKeys(operation: Operation): boolean {
  if (operation.access || operation.rest?.auth !== 'user') return false;
  switch (operation.scopedKeys) {
    case 'any':
      return false;
    case 'filtered':
      return operation.kind === 'mutation';
    default:
      return true;
  }
}

/** The roles allowed from `lowest` up, as a reader says it: `admin or owner`. */
function rolesFrom(lowest: ProjectRole): string {
  const roles = PROJECT_ROLES.slice(0, PROJECT_ROLES.indexOf(lowest) + 1).reverse();
  return roles.length === 1 ? roles[0]! : `${roles.slice(0, -1).join(', ')} or ${roles.at(-1)}`;
}

/** The roles below `lowest`, highest first: `member or viewer`. */
function rolesBelow(lowest: ProjectRole): string {
  return PROJECT_ROLES.slice(PROJECT_ROLES.indexOf(lowest) + 1).join(' or ');
}

const IDEMPOTENCY_CONFLICT = 'a request with this Idempotency-Key is still running (retry it a little later)';

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * When this operation answers `code`, as its document says: the operation's own words from the
 * contract (`rest.errorDescriptions`) when it has them, else a default derived from its
 * metadata. A creating operation's 409 always adds the Idempotency-Key case. Throws when a code
 * whose meaning depends on the operation has neither, so the document cannot be built with a
 * vague answer.
 */
export function errorDescriptionFor(operation: Operation, code: ApiErrorCode): string {
  const rest = operation.rest!;
  const own = rest.errorDescriptions?.[code];
  const lowPerAddressBudget = rest.rateLimit === 'secret' || operation.password !== undefined;
  switch (code) {
    case 'BAD_REQUEST':
      if (rest.multipart) return own ?? MULTIPART_ERROR_DESCRIPTIONS.BAD_REQUEST!;
      if (own) return own;
      return operation.list
        ? 'Invalid input (see `error.details`): a malformed path or query parameter, an unknown parameter, or a `cursor` this server did not issue'
        : rest.method === 'GET' || rest.method === 'DELETE'
          ? 'Invalid input (see `error.details`): a malformed path or query parameter, or an unknown one'
          : 'Invalid input (see `error.details`): a malformed or unknown field, or malformed JSON';
    case 'UNAUTHORIZED':
      if (own) return own;
      if (rest.auth === 'user')
        return 'No credential, or one that is invalid, expired or revoked: send `Authorization: Bearer <token>` or `x-api-key: <key>`';
      break;
    case 'FORBIDDEN':
      if (own) return own;
      if (operation.access) {
        const lowest = LOWEST_ROLE_FOR[operation.access.action];
        const readOnly = READ_ACTIONS.has(operation.access.action) ? '' : '; or the request carries a read-only API key';
        if (lowest === 'viewer') return 'The request carries a read-only API key, which may not do this';
        return lowest === 'owner'
          ? `You are a member of the project but not its owner: only the owner may do this${readOnly}`
          : `Your role in the project is ${rolesBelow(lowest)}: this needs ${rolesFrom(lowest)}${readOnly}`;
      }
      break;
    case 'NOT_FOUND':
      if (own) return own;
      if (operation.access)
        return 'The project does not exist, or you are not a member of it (the same answer, so that no project leaks its existence)';
      break;
    case 'CONFLICT':
      if (acceptsIdempotencyKey(operation)) return own ? `${own}; or ${IDEMPOTENCY_CONFLICT}` : capitalized(IDEMPOTENCY_CONFLICT);
      if (own) return own;
      break;
    case 'GONE':
      if (own) return own;
      break;
    case 'PRECONDITION_FAILED':
      return (
        own ??
        "`If-Match` was sent and names none of the resource's current ETag: someone changed it since you read it. Nothing was changed: read it again (for its new ETag) and retry"
      );
    case 'PAYLOAD_TOO_LARGE':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return own ?? (rest.multipart && MULTIPART_ERROR_DESCRIPTIONS[code]) ?? ERROR_DESCRIPTIONS[code];
    case 'UNPROCESSABLE_CONTENT':
      return own ?? 'This Idempotency-Key was already used with a different request body (a new change needs a new key)';
    case 'TOO_MANY_REQUESTS': {
      if (own) return own;
      const parts = [
        lowPerAddressBudget
          ? 'Over the lower per-address limit shared by the operations that test a secret or take a password (`AUTH_RATE_LIMIT_PER_MINUTE`)'
          : 'Over the per-address limit (`RATE_LIMIT_PER_MINUTE`)',
      ];
      if (operation.password === 'verifies')
        parts.push('or 10 failed password checks for this account within 15 minutes (then even the right password waits)');
      return `${parts.join(', ')}; see Retry-After`;
    }
    case 'INTERNAL_ERROR':
      return own ?? 'Unexpected error; the X-Request-Id finds its cause in the logs';
    case 'SERVICE_UNAVAILABLE':
      if (own) return own;
      if (acceptsIdempotencyKey(operation))
        return 'A service did not answer in time or could not be reached: retry with the same Idempotency-Key, which never does the work twice';
      if (operation.kind === 'query' || rest.method === 'PUT')
        return 'A service did not answer in time or could not be reached; safe to retry (the same request leaves the same state)';
      if (rest.method === 'DELETE')
        return 'A service did not answer in time or could not be reached; safe to retry (if the first attempt did delete, the retry answers 404)';
      return 'A service did not answer in time or could not be reached; the action may have taken effect, so a retry may find it done';
  }
  throw new Error(`${rest.method} ${rest.path} answers ${code} but does not say when: add rest.errorDescriptions.${code} to its contract`);
}

/** The same as the router's `errorResponses` meta: status → description. */
export function errorStatusesFor(operation: Operation): Record<number, string> {
  return Object.fromEntries(errorCodesFor(operation).map((code) => [API_ERROR_STATUS[code], errorDescriptionFor(operation, code)]));
}
