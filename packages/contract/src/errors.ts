import { z } from 'zod';

/**
 * The public error codes (docs/api-contract.md, Errors) and the HTTP status each one maps to.
 * Services throw these codes; the gateway turns them into statuses.
 */
export const API_ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  /** A conditional write's `If-Match` names none of the resource's current version (docs/api-contract.md, Conditional requests). */
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** An Idempotency-Key reused with a different request. */
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export const API_ERROR_CODES = Object.keys(API_ERROR_STATUS) as [ApiErrorCode, ...ApiErrorCode[]];

/**
 * tRPC has no code for every API code (there is no GONE), so each API code travels
 * over tRPC as the nearest tRPC code plus the exact API code in the error's data.
 */
export const TRPC_CODE_FOR_API_CODE = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  GONE: 'PRECONDITION_FAILED',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE_CONTENT: 'UNPROCESSABLE_CONTENT',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<ApiErrorCode, string>;

/** The API code for a tRPC code that carries none (a framework error, say). */
export function apiCodeForTrpcCode(code: string): ApiErrorCode {
  switch (code) {
    case 'PARSE_ERROR':
    case 'BAD_REQUEST':
    case 'METHOD_NOT_SUPPORTED':
      return 'BAD_REQUEST';
    case 'PRECONDITION_FAILED':
      return 'GONE';
    case 'TIMEOUT':
    case 'GATEWAY_TIMEOUT':
    case 'BAD_GATEWAY':
    case 'SERVICE_UNAVAILABLE':
      return 'SERVICE_UNAVAILABLE';
    default:
      return code in API_ERROR_STATUS ? (code as ApiErrorCode) : 'INTERNAL_ERROR';
  }
}

export const errorDetailSchema = z
  .object({
    path: z.string().meta({ description: 'Dotted path of the offending field, or "" for the body itself' }),
    message: z.string().meta({ description: 'What is wrong with it' }),
  })
  .meta({ id: 'ErrorDetail' });

export type ErrorDetail = z.infer<typeof errorDetailSchema>;

export const errorEnvelopeSchema = z
  .object({
    success: z.literal(false).meta({ description: 'Always false for an error' }),
    error: z
      .object({
        code: z.enum(API_ERROR_CODES).meta({ description: 'Stable, machine-readable code; the status follows from it' }),
        message: z.string().meta({ description: 'What went wrong, for a person' }),
        details: z.array(errorDetailSchema).optional().meta({ description: 'One entry per invalid field, on validation errors' }),
      })
      .meta({ description: 'What went wrong' }),
  })
  .meta({ id: 'Error' });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;
