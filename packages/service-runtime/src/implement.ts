import { TRPCError } from '@trpc/server';
import { acceptsIdempotencyKey, needsUser } from '@atrium/contract';
import type { ContractRouter, Operation, ServiceContract, ServiceHandlers } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { DomainError, toTRPCError } from './errors.js';
import { runIdempotently } from './idempotency/idempotency.js';
import { fromOrmError } from './orm-errors.js';
import { runInTransaction } from './transaction.js';
import { createServiceTRPC } from './trpc.js';
import { authorizeProjectAccess, projectIdOf } from './access.js';
import { refuseOutOfScope, refuseReadOnlyWrite, refuseScopedKey } from './scope.js';
import type { ProjectRoleResolver } from './access.js';
import type { ProjectGrant } from './access.js';

const t = createServiceTRPC<ServiceContext>();

/**
 * Who may call an operation, checked before its input is even read: a signed call (every app
 * signs), by an app the contract names for internal operations, carrying an end user for
 * operations that act for one.
 */
function refuseCaller(name: string, operation: Operation, ctx: ServiceContext): void {
  // Its input carries the proof (a credential to exchange): no signature to ask for.
  if (operation.internal?.auth === 'credential') return;
  if (!ctx.app) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This call is not signed by a known app' });
  const callers = operation.internal?.callers as readonly string[] | undefined;
  if (callers && !callers.includes(ctx.app)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `${ctx.app} may not call ${name}` });
  }
  if (needsUser(operation) && !ctx.meta.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Authentication required' });
  // A scoped API key, on an operation that is not project-scoped (see scope.ts).
  if (ctx.meta.caller?.scope) throwAsTRPC(() => refuseScopedKey(operation, ctx.meta));
}

function throwAsTRPC(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw toTRPCError(error);
  }
}

/**
 * A database error as the API error it means (see `fromOrmError`: 404, 409, or 503 when no
 * connection came free in time), wherever in the call it was thrown — the access check, the
 * transaction's begin or commit, the handler: tRPC hands any of them over as an
 * INTERNAL_SERVER_ERROR caused by it.
 */
function fromDatabaseError(error: TRPCError): TRPCError {
  if (error.code !== 'INTERNAL_SERVER_ERROR') return error;
  const translated = fromOrmError(error.cause);
  return translated instanceof DomainError ? (toTRPCError(translated) as TRPCError) : error;
}

/**
 * The first step of every call, before its input is read: records its outcome (`OK` or its tRPC
 * code, refusals and invalid input included) and duration — in the metrics, and in the service's
 * log at debug (its logger carries the request id), so one request can be followed from the
 * gateway through every service it reached — and refuses a caller who may not call it. Being
 * the outermost step, it is where database errors are translated (`fromDatabaseError`), once.
 * One middleware rather than two: every step of tRPC's chain copies the call's options.
 */
function observeAndCheckCaller(service: string, operation: string, name: string, contractOperation: Operation) {
  return t.middleware(async ({ ctx, next }) => {
    const started = performance.now();
    const record = (outcome: string) => {
      const ms = performance.now() - started;
      ctx.metrics?.serviceCalls.observe({ service, operation, outcome }, ms / 1000);
      // The line's fields are built only when debug lines are written (not per call at info).
      if (ctx.log.isLevelEnabled('debug')) ctx.log.debug({ app: ctx.app, operation, outcome, ms: Math.round(ms * 10) / 10 }, 'call');
    };
    try {
      refuseCaller(name, contractOperation, ctx);
    } catch (error) {
      record((error as TRPCError).code);
      throw error;
    }
    const result = await next();
    if (result.ok) {
      record('OK');
      return result;
    }
    const error = fromDatabaseError(result.error);
    record(error.code);
    if (error === result.error) return result;
    // Logged here, as the 503 answers it: the pool is too small for the load, or statements too slow.
    // (The wait that ran out is counted at the pool, once, however many calls it failed: orm-pool.ts.)
    if (error.code === 'SERVICE_UNAVAILABLE') ctx.log.warn({ operation }, 'no database connection came free in time: answered 503');
    throw error;
  });
}

/** How a service's project-scoped operations learn the caller's role (see `ImplementOptions.projectRoles`). */
type ProjectRoles = ProjectRoleResolver | 'in-handlers' | undefined;

/**
 * The contract's role policy of a project-scoped operation, once its input is valid: a
 * non-member gets 404, a role too low 403. With a resolver the runtime applies it now and the
 * handler gets the grant on `ctx.access`; with 'in-handlers' the handler reads the role itself
 * and applies the rule put on `ctx.projectAccess` (`authorizeProjectRole`). Set on the call's
 * own context (made for this one call) rather than passed down as a new one, which tRPC would
 * copy property by property.
 */
async function checkProjectAccess(operation: Operation, projectRoles: ProjectRoles, ctx: ServiceContext, input: unknown): Promise<void> {
  const access = operation.access;
  if (!access || !projectRoles) return;
  if (projectRoles === 'in-handlers') {
    // A project outside the caller's key: 404 before the handler reads anything (see scope.ts).
    throwAsTRPC(() => refuseOutOfScope(ctx.meta, projectIdOf(access, input)));
    ctx.projectAccess = { access, authorized: false };
    return;
  }
  try {
    ctx.access = await authorizeProjectAccess(access, input, ctx, projectRoles);
  } catch (error) {
    throw toTRPCError(error);
  }
}

/** A project-scoped handler that answered without applying the role table: a bug, never an answer. */
function refuseUnauthorized(name: string, ctx: ServiceContext): void {
  if (ctx.projectAccess && !ctx.projectAccess.authorized) {
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `${name} answered without authorizeProjectRole` });
  }
}

/**
 * After the input is valid: the role check, then the handler. A mutation is one transaction
 * from before its access check to its answer: the membership it is authorized by is read (and
 * locked) in the transaction that changes things, so a concurrent change cannot slip between
 * the check and the act. Queries run without one.
 */
function authorizedWork(name: string, operation: Operation, projectRoles: ProjectRoles) {
  if (operation.access && !projectRoles) throw new Error(`${name} is project-scoped but the service gave no projectRoles resolver`);
  return t.middleware(async ({ ctx, input, next }) => {
    if (operation.kind === 'query') {
      let result: Awaited<ReturnType<typeof next>>;
      try {
        await checkProjectAccess(operation, projectRoles, ctx, input);
        result = await next();
        if (result.ok) refuseUnauthorized(name, ctx);
      } catch (error) {
        await ctx.settle(false);
        throw error;
      }
      await ctx.settle(result.ok);
      return result;
    }
    return runInTransaction(ctx, async () => {
      await checkProjectAccess(operation, projectRoles, ctx, input);
      const result = await next();
      // An error downstream must roll the transaction back: rethrow it (tRPC reports it unchanged).
      if (!result.ok) throw result.error;
      refuseUnauthorized(name, ctx);
      return result;
    });
  });
}

export interface ImplementOptions<G extends ProjectGrant> {
  /**
   * Required when the contract has project-scoped operations: how this service learns the
   * caller's role. A resolver the runtime runs before the handler (`grantOf`), or 'in-handlers':
   * each project-scoped handler reads the role itself and calls `authorizeProjectRole` with it.
   */
  projectRoles?: ProjectRoleResolver<G> | 'in-handlers';
}

/**
 * Builds a service's tRPC router from its contract and one handler per operation. Input and
 * output schemas come from the contract (never redeclared), every operation checks who calls
 * it first (see `accessCheck`), project-scoped ones then apply the role table (see
 * `projectAccessCheck`), every mutation is one transaction (see `runInTransaction`), creating
 * ones honour an Idempotency-Key (see `runIdempotently`), and handler and database errors are
 * mapped to tRPC errors here, once.
 */
export function implementService<C extends ServiceContract, G extends ProjectGrant = ProjectGrant>(
  contract: C,
  handlers: ServiceHandlers<C, ServiceContext>,
  options: ImplementOptions<G> = {},
): ContractRouter<C> {
  const record: Record<string, Record<string, unknown>> = {};
  for (const [resource, verbs] of Object.entries(contract.operations)) {
    const procedures: Record<string, unknown> = {};
    for (const [verb, operation] of Object.entries(verbs) as [string, Operation][]) {
      const handler = (handlers as Record<string, Record<string, (input: unknown, ctx: ServiceContext) => Promise<unknown>>>)[resource]?.[
        verb
      ];
      if (!handler) throw new Error(`${contract.name}: no handler for ${resource}.${verb}`);
      const procedure = `${contract.name}.${resource}.${verb}`;
      const idempotent = acceptsIdempotencyKey(operation);
      const resolve = async ({ input, ctx }: { input: unknown; ctx: ServiceContext }) => {
        try {
          const key = idempotent ? ctx.meta.idempotencyKey : undefined;
          if (!key) return await handler(input, ctx);
          let ran = false;
          const output = await runIdempotently(ctx, procedure, input, key, () => {
            ran = true;
            return handler(input, ctx);
          });
          // A replay: the caller's own earlier answer, made by a handler that was authorized —
          // not handed to a read-only key of the caller's (the project was checked before).
          if (!ran && ctx.projectAccess) {
            refuseReadOnlyWrite(ctx.meta, ctx.projectAccess.access);
            ctx.projectAccess.authorized = true;
          }
          return output;
        } catch (error) {
          // Database errors are translated once for the whole call (see `fromDatabaseError`).
          throw toTRPCError(error);
        }
      };
      const builder = t.procedure
        .use(observeAndCheckCaller(contract.name, `${resource}.${verb}`, procedure, operation))
        .input(operation.input)
        .use(authorizedWork(procedure, operation, options.projectRoles as ProjectRoles))
        .output(operation.output);
      procedures[verb] = operation.kind === 'query' ? builder.query(resolve) : builder.mutation(resolve);
    }
    record[resource] = procedures;
  }
  return t.router(record as never) as unknown as ContractRouter<C>;
}
