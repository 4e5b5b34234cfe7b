import { TRPCError } from '@trpc/server';
import { TRPC_CODE_FOR_API_CODE, apiCodeForTrpcCode } from '@atrium/contract';
import type { ApiErrorCode, ErrorDetail } from '@atrium/contract';

/**
 * What handlers throw: a contract error code and a message fit for the API's caller.
 * The transport maps it once (see `toTRPCError`); handlers never build transport errors.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new DomainError('CONFLICT', message);
export const unauthorized = (message = 'Authentication required') => new DomainError('UNAUTHORIZED', message);

/** Turns what a handler threw into the tRPC error that carries it across the hop. */
export function toTRPCError(error: unknown): unknown {
  if (error instanceof TRPCError) return error;
  if (error instanceof DomainError) {
    return new TRPCError({ code: TRPC_CODE_FOR_API_CODE[error.code], message: error.message, cause: error });
  }
  return error;
}

interface IssueLike {
  path?: readonly PropertyKey[] | readonly { key: PropertyKey }[];
  message: string;
}

function issuePath(path: IssueLike['path']): string {
  return (path ?? []).map((segment) => (typeof segment === 'object' ? String(segment.key) : String(segment))).join('.');
}

function validationDetails(cause: unknown): ErrorDetail[] | undefined {
  const issues = (cause as { issues?: IssueLike[] } | undefined)?.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}

export interface DescribedError {
  apiCode: ApiErrorCode;
  message: string;
  details?: ErrorDetail[];
}

/** The public face of any error: its API code, a readable message, field details; never a stack. */
export function describeError(error: TRPCError): DescribedError {
  const cause = error.cause;
  if (cause instanceof DomainError) return { apiCode: cause.code, message: cause.message, details: cause.details };
  if (error.code === 'BAD_REQUEST') {
    const details = validationDetails(cause);
    if (details) {
      const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
      return { apiCode: 'BAD_REQUEST', message: `Invalid input: ${summary}`, details };
    }
  }
  if (error.code === 'INTERNAL_SERVER_ERROR') return { apiCode: 'INTERNAL_ERROR', message: 'Internal error' };
  return { apiCode: apiCodeForTrpcCode(error.code), message: error.message };
}
