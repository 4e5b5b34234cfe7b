import { TRPCError } from '@trpc/server';
import { needsUser } from '@atrium/contract';
import type { ContractRouter, Operation, ServiceContract, ServiceHandlers } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { toTRPCError } from './errors.js';
import { fromOrmError } from './orm-errors.js';
import { createServiceTRPC } from './trpc.js';
import { authorizeProjectAccess } from './access.js';
import type { ProjectGrant, ProjectRoleResolver } from './access.js';

const t = createServiceTRPC<ServiceContext>();

/**
 * Who may call an operation, checked before its input is even read: a signed call (every app
 * signs), by an app the contract names for internal operations, carrying an end user for
 * operations that act for one.
 */
function accessCheck(name: string, operation: Operation) {
  const userNeeded = needsUser(operation);
  const callers = operation.internal?.callers as readonly string[] | undefined;
  return t.middleware(({ ctx, next }) => {
    // Its input carries the proof (a credential to exchange): no signature to ask for.
    if (operation.internal?.auth === 'credential') return next();
    if (!ctx.app) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This call is not signed by a known app' });
    if (callers && !callers.includes(ctx.app)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `${ctx.app} may not call ${name}` });
    }
    if (userNeeded && !ctx.meta.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Authentication required' });
    return next();
  });
}

/**
 * Every call's outcome (`OK` or its tRPC code, refusals and invalid input included) and
 * duration: in the metrics, and in the service's log at debug (its logger carries the request
 * id), so one request can be followed from the gateway through every service it reached.
 */
function observe(service: string, operation: string) {
  return t.middleware(async ({ ctx, next }) => {
    const started = performance.now();
    const result = await next();
    const outcome = result.ok ? 'OK' : result.error.code;
    const ms = performance.now() - started;
    ctx.metrics?.serviceCalls.observe({ service, operation, outcome }, ms / 1000);
    ctx.log.debug({ app: ctx.app, operation, outcome, ms: Math.round(ms * 10) / 10 }, 'call');
    return result;
  });
}

/**
 * The contract's role policy of a project-scoped operation, once its input is valid: a
 * non-member gets 404, a role too low 403, and the handler gets the grant on `ctx.access`.
 */
function projectAccessCheck(name: string, operation: Operation, resolve: ProjectRoleResolver | undefined) {
  const access = operation.access;
  if (access && !resolve) throw new Error(`${name} is project-scoped but the service gave no projectRoles resolver`);
  return t.middleware(async ({ ctx, input, next }) => {
    if (!access || !resolve) return next();
    let grant: ProjectGrant;
    try {
      grant = await authorizeProjectAccess(access, input, ctx, resolve);
    } catch (error) {
      throw toTRPCError(error);
    }
    return next({ ctx: { access: grant } satisfies Partial<ServiceContext> });
  });
}

export interface ImplementOptions<G extends ProjectGrant> {
  /** Required when the contract has project-scoped operations: how this service learns the caller's role. */
  projectRoles?: ProjectRoleResolver<G>;
}

/**
 * Builds a service's tRPC router from its contract and one handler per operation. Input and
 * output schemas come from the contract (never redeclared), every operation checks who calls
 * it first (see `accessCheck`), project-scoped ones then apply the role table (see
 * `projectAccessCheck`), and handler errors are mapped to tRPC errors here, once.
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
      const handler = (handlers as Record<string, Record<string, (input: unknown, ctx: ServiceContext) => Promise<unknown>>>)[resource]?.[verb];
      if (!handler) throw new Error(`${contract.name}: no handler for ${resource}.${verb}`);
      const resolve = async ({ input, ctx }: { input: unknown; ctx: ServiceContext }) => {
        try {
          const output = await handler(input, ctx);
          ctx.events.afterSuccess();
          return output;
        } catch (error) {
          throw toTRPCError(fromOrmError(error));
        }
      };
      const name = `${contract.name}.${resource}.${verb}`;
      const builder = t.procedure
        .use(observe(contract.name, `${resource}.${verb}`))
        .use(accessCheck(name, operation))
        .input(operation.input)
        .use(projectAccessCheck(name, operation, options.projectRoles as ProjectRoleResolver | undefined))
        .output(operation.output);
      procedures[verb] = operation.kind === 'query' ? builder.query(resolve) : builder.mutation(resolve);
    }
    record[resource] = procedures;
  }
  return t.router(record as never) as unknown as ContractRouter<C>;
}
