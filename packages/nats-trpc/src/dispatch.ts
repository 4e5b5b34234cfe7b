import { TRPCError, callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown } from '@trpc/server';
import type { AnyTRPCRouter } from '@trpc/server';
import type { ServiceErrorShape } from '@atrium/contract';
import type { CallMeta, CallReply, ProcedureKind } from './call.js';

/** Builds a call's context from what crossed the hop; may refuse the call by throwing (a bad assertion). */
export type CreateCallContext<Ctx> = (meta: CallMeta, path: string) => Ctx | Promise<Ctx>;

export interface RouterEndpoint<Ctx = unknown> {
  router: AnyTRPCRouter;
  createContext: CreateCallContext<Ctx>;
  /** Called with every error the router raised, before it is answered (for logging). */
  onError?: (error: unknown, path: string, meta: CallMeta) => void;
}

/**
 * Runs one procedure call against a router and answers with its result or its formatted
 * error. The NATS server adapter and the in-process transport both go through here, so the
 * embedded mode takes the same path as production minus the network hop.
 */
export async function dispatchCall<Ctx>(
  endpoint: RouterEndpoint<Ctx>,
  path: string,
  kind: ProcedureKind,
  readInput: () => unknown,
  meta: CallMeta,
  signal?: AbortSignal,
): Promise<CallReply> {
  let ctx: Ctx | undefined;
  let input: unknown;
  try {
    // Nobody waits for the answer any more: starting the work would only risk a change the
    // caller was told failed (a 503 that still commits).
    if (meta.deadline !== undefined && meta.deadline <= Date.now()) {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The deadline of this call passed before it was started' });
    }
    input = readInput();
    ctx = await endpoint.createContext(meta, path);
    const result = await callTRPCProcedure({
      router: endpoint.router,
      path,
      type: kind,
      getRawInput: async () => input,
      ctx,
      signal,
      batchIndex: 0,
    });
    return { result };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    endpoint.onError?.(error, path, meta);
    const shape = getErrorShape({
      config: endpoint.router._def._config,
      error,
      type: kind,
      path,
      input,
      ctx,
    }) as ServiceErrorShape;
    return { error: shape };
  }
}
