import { TRPCClientError } from '@trpc/client';
import type { TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { TRPCError } from '@trpc/server';
import { apiCodeForTrpcCode } from '@atrium/contract';
import { RemoteProcedureError } from './call.js';
import type { CallMeta, ProcedureKind, ServiceTransport } from './call.js';

/**
 * A tRPC client link that sends every operation to one service through a transport, so
 * internal TypeScript callers get fully typed calls over NATS (or in process).
 * `getMeta` supplies the request id and the caller on whose behalf the call is made.
 */
export function transportLink<TRouter extends AnyTRPCRouter>(
  transport: ServiceTransport,
  service: string,
  getMeta: (context: Record<string, unknown>) => CallMeta,
): TRPCLink<TRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type === 'subscription') {
          observer.error(TRPCClientError.from(new Error('Subscriptions are not supported over this transport')));
          return;
        }
        transport
          .call(
            { service, path: op.path, kind: op.type as ProcedureKind, input: op.input, meta: getMeta(op.context) },
            op.signal ?? undefined,
          )
          .then((data) => {
            observer.next({ result: { type: 'data', data } });
            observer.complete();
          })
          .catch((error: unknown) => observer.error(toClientError(error)));
      });
}

function toClientError(error: unknown): TRPCClientError<AnyTRPCRouter> {
  if (error instanceof RemoteProcedureError) return TRPCClientError.from({ error: error.shape });
  if (error instanceof TRPCError) {
    return TRPCClientError.from({
      error: {
        message: error.message,
        code: TRPC_ERROR_CODES_BY_KEY[error.code],
        data: { code: error.code, apiCode: apiCodeForTrpcCode(error.code) },
      },
    });
  }
  return TRPCClientError.from(error instanceof Error ? error : new Error(String(error)));
}
