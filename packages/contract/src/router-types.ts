import type { TRPC_ERROR_CODE_KEY, TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';
import type { z } from 'zod';
import type { Operation, ServiceContract } from './operation.js';

/**
 * A service's formatted error, as it crosses NATS: tRPC's default shape plus the API code and
 * field details (see service-runtime's error formatter).
 */
export interface ServiceErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  path?: string;
  apiCode: string;
  details?: { path: string; message: string }[];
  /** For TOO_MANY_REQUESTS: seconds until a retry can succeed (`Retry-After`). */
  retryAfterSeconds?: number;
}

export interface ServiceErrorShape {
  message: string;
  code: number;
  data: ServiceErrorData;
}

type ProcedureOf<Op extends Operation> = Op['kind'] extends 'query'
  ? TRPCQueryProcedure<{ input: z.input<Op['input']>; output: z.output<Op['output']>; meta: object }>
  : TRPCMutationProcedure<{ input: z.input<Op['input']>; output: z.output<Op['output']>; meta: object }>;

type RecordOf<C extends ServiceContract> = {
  [R in keyof C['operations']]: { [V in keyof C['operations'][R]]: ProcedureOf<C['operations'][R][V]> };
};

/**
 * The type of a service's tRPC router, computed from its contract alone, so typed clients
 * never import a service app. The service's real router is checked against it.
 */
export type ContractRouter<C extends ServiceContract> = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ServiceErrorShape; transformer: false },
  RecordOf<C>
>;

/** The handler a service writes for one operation. */
export type OperationHandler<Op extends Operation, Ctx> = (input: z.output<Op['input']>, ctx: Ctx) => Promise<z.input<Op['output']>>;

/** All handlers of a service, shaped like its contract. */
export type ServiceHandlers<C extends ServiceContract, Ctx> = {
  [R in keyof C['operations']]: { [V in keyof C['operations'][R]]: OperationHandler<C['operations'][R][V], Ctx> };
};

/** The handler type of one operation of a contract, e.g. `HandlerOf<typeof projectsContract, 'projects', 'get', Ctx>`. */
export type HandlerOf<
  C extends ServiceContract,
  R extends keyof C['operations'],
  V extends keyof C['operations'][R],
  Ctx,
> = C['operations'][R][V] extends Operation ? OperationHandler<C['operations'][R][V], Ctx> : never;
