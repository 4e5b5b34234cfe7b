import { API_ERROR_CODES, API_ERROR_STATUS, apiCodeForTrpcCode } from '@atrium/contract';
import type { ApiErrorCode, ErrorDetail } from '@atrium/contract';
import { RemoteProcedureError, ServiceUnavailableError } from '@atrium/nats-trpc';

/** What every failed call rejects with: the API's error code (as REST consumers see it), a message, field details. */
export class AtriumError extends Error {
  override name = 'AtriumError';
  /** The HTTP status the REST API answers this code with. */
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.status = API_ERROR_STATUS[code];
  }
}

const isApiCode = (value: unknown): value is ApiErrorCode => API_ERROR_CODES.includes(value as ApiErrorCode);

export function toAtriumError(error: unknown): unknown {
  if (error instanceof RemoteProcedureError) {
    const { apiCode, details } = error.data;
    return new AtriumError(isApiCode(apiCode) ? apiCode : apiCodeForTrpcCode(error.code), error.message, details);
  }
  if (error instanceof ServiceUnavailableError) return new AtriumError('SERVICE_UNAVAILABLE', error.message);
  return error;
}
