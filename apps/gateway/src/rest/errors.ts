import type { TRPCError } from '@trpc/server';
import { API_ERROR_CODES, API_ERROR_STATUS, apiCodeForTrpcCode } from '@atrium/contract';
import type { ApiErrorCode, ErrorEnvelope } from '@atrium/contract';
import { RemoteProcedureError } from '@atrium/nats-trpc';
import { describeError } from '@atrium/service-runtime/core';
import type { DescribedError } from '@atrium/service-runtime/core';

const isApiCode = (value: unknown): value is ApiErrorCode => API_ERROR_CODES.includes(value as ApiErrorCode);

/**
 * The public error for anything a REST call can fail with: a service's error (its API code
 * and details survive the hop), the gateway's own validation, or the REST adapter's refusals.
 */
export function apiErrorOf(error: TRPCError): DescribedError {
  if (error instanceof RemoteProcedureError) {
    const { apiCode, details, retryAfterSeconds } = error.data;
    const described: DescribedError = {
      apiCode: isApiCode(apiCode) ? apiCode : apiCodeForTrpcCode(error.code),
      message: error.message,
      details,
    };
    if (typeof retryAfterSeconds === 'number') described.retryAfterSeconds = retryAfterSeconds;
    return described;
  }
  if (error.code === 'UNSUPPORTED_MEDIA_TYPE') {
    return { apiCode: 'UNSUPPORTED_MEDIA_TYPE', message: 'Request bodies must be sent as application/json' };
  }
  if (error.code === 'NOT_FOUND' && error.message === 'Not found') return { apiCode: 'NOT_FOUND', message: 'No such route' };
  return describeError(error);
}

export function statusOf(code: ApiErrorCode): number {
  return API_ERROR_STATUS[code];
}

export function errorEnvelope(error: DescribedError): ErrorEnvelope {
  return {
    success: false,
    error: error.details
      ? { code: error.apiCode, message: error.message, details: error.details }
      : { code: error.apiCode, message: error.message },
  };
}

/** Errors raised by Fastify itself, before any procedure runs (bad JSON, too large, rate limit…). */
export function apiErrorOfHttpError(error: { statusCode?: number; code?: string; message: string }): DescribedError {
  switch (error.statusCode) {
    case 400:
      return error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (/JSON/i.test(error.message) && !error.code?.startsWith('ATRIUM_'))
        ? { apiCode: 'BAD_REQUEST', message: 'The request body is not valid JSON' }
        : { apiCode: 'BAD_REQUEST', message: error.message };
    case 404:
      return { apiCode: 'NOT_FOUND', message: 'No such route' };
    case 413:
      return { apiCode: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than allowed' };
    case 415:
      return { apiCode: 'UNSUPPORTED_MEDIA_TYPE', message: 'Request bodies must be sent as application/json' };
    case 429:
      return { apiCode: 'TOO_MANY_REQUESTS', message: error.message || 'Too many requests' };
    default:
      return { apiCode: 'INTERNAL_ERROR', message: 'Internal error' };
  }
}
