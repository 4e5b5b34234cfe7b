import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { API_ERROR_CODES, API_ERROR_STATUS, apiCodeForTrpcCode } from '@atrium/contract';
import type { ApiErrorCode, ErrorDetail } from '@atrium/contract';
import { RemoteProcedureError, ServiceUnavailableError } from '@atrium/nats-trpc';

/**
 * What an `AtriumError` says went wrong: the API's error code (as REST consumers see it), or
 * `ABORTED` when the caller's own `signal` ended the call.
 */
export type AtriumErrorCode = ApiErrorCode | 'ABORTED';

/** The HTTP status of each code; `ABORTED` never comes from the server: 499, "client closed request". */
const STATUS: Record<AtriumErrorCode, number> = { ...API_ERROR_STATUS, ABORTED: 499 };

/** What every failed call rejects with: the API's error code (as REST consumers see it), a message, field details. */
export class AtriumError extends Error {
  override name = 'AtriumError';
  /** The HTTP status the REST API answers this code with. */
  readonly status: number;

  constructor(
    readonly code: AtriumErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = STATUS[code];
  }
}

const isApiCode = (value: unknown): value is ApiErrorCode => API_ERROR_CODES.includes(value as ApiErrorCode);

/**
 * Any failure as an `AtriumError`: a service's answer keeps its API code; the broker not
 * answering, not reachable or closed is SERVICE_UNAVAILABLE; the broker refusing the client's
 * NATS user is UNAUTHORIZED, a subject it may not use FORBIDDEN. Never a raw NATS error: the
 * original is kept as `cause`.
 */
export function toAtriumError(error: unknown): AtriumError {
  if (error instanceof AtriumError) return error;
  if (error instanceof RemoteProcedureError) {
    const { apiCode, details } = error.data;
    return new AtriumError(isApiCode(apiCode) ? apiCode : apiCodeForTrpcCode(error.code), error.message, details, { cause: error });
  }
  if (error instanceof ServiceUnavailableError) return new AtriumError('SERVICE_UNAVAILABLE', error.message, undefined, { cause: error });
  if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) {
    return new AtriumError('UNAUTHORIZED', `The NATS server refused the client's user: ${error.message}`, undefined, { cause: error });
  }
  if (error instanceof PermissionViolationError) {
    return new AtriumError('FORBIDDEN', `The NATS server does not let this client use ${error.subject}`, undefined, { cause: error });
  }
  if (
    error instanceof ConnectionError ||
    error instanceof ClosedConnectionError ||
    error instanceof DrainingConnectionError ||
    error instanceof NoRespondersError ||
    error instanceof RequestError ||
    error instanceof TimeoutError ||
    isSocketError(error)
  ) {
    return new AtriumError('SERVICE_UNAVAILABLE', `Atrium is not reachable: ${(error as Error).message}`, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AtriumError('INTERNAL_ERROR', `The call failed: ${message}`, undefined, { cause: error });
}

/** A Node.js socket error (ECONNREFUSED, ENOTFOUND, …): the broker is not there. */
function isSocketError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** The error a call ended by its caller's `signal` rejects with (the signal's reason as `cause`). */
export function abortedError(signal: AbortSignal): AtriumError {
  return new AtriumError('ABORTED', 'The call was aborted by its caller', undefined, { cause: signal.reason });
}
