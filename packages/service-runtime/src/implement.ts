import { TRPCError } from '@trpc/server';
import { needsUser, roleAllows } from '@atrium/contract';
import type { ContractRouter, Operation, ProjectRole, ServiceContract, ServiceHandlers } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { DomainError, notFound, toTRPCError } from './errors.js';
import { createServiceTRPC } from './trpc.js';

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
    if (!ctx.app) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'This call is not signed by a known app' });
    if (callers && !callers.includes(ctx.app)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `${ctx.app} may not call ${name}` });
    }
    if (userNeeded && !ctx.meta.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Authentication required' });
    return next();
  });
}

/** How a service learns the caller's role in a project (null: not a member). */
export type ProjectRoleResolver = (ctx: ServiceContext, projectId: string) => Promise<({ role: ProjectRole } & Record<string, unknown>) | null>;

export interface ImplementOptions {
  /** Needed by services with project-scoped operations (`access` in the contract). */
  projectRoles?: ProjectRoleResolver;
}

/**
 * The role rule of a project-scoped operation, before its handler runs: a non-member gets 404
 * exactly as if the project did not exist, a member whose role is too low 403.
 */
function roleCheck(name: string, access: NonNullable<Operation['access']>, projectRoles: ProjectRoleResolver | undefined) {
  if (!projectRoles) throw new Error(`${name} is project-scoped: implementService needs projectRoles`);
  return t.middleware(async ({ ctx, input, next }) => {
    const projectId = (input as Record<string, unknown>)[access.projectId];
    if (typeof projectId !== 'string') throw new Error(`${name}: no ${access.projectId} in its input`);
    try {
      const membership = await projectRoles(ctx, projectId);
      if (!membership) throw notFound('Project');
      if (!roleAllows(membership.role, access.action)) {
        throw new DomainError('FORBIDDEN', `Your role (${membership.role}) does not allow this`);
      }
    } catch (error) {
      throw toTRPCError(error);
    }
    return next();
  });
}

/**
 * Builds a service's tRPC router from its contract and one handler per operation. Input and
 * output schemas come from the contract (never redeclared), every operation checks who calls
 * it first (see `accessCheck`), and handler errors are mapped to tRPC errors here, once.
 */
export function implementService<C extends ServiceContract>(
  contract: C,
  handlers: ServiceHandlers<C, ServiceContext>,
  options: ImplementOptions = {},
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
          throw toTRPCError(error);
        }
      };
      const name = `${contract.name}.${resource}.${verb}`;
      const checked = t.procedure.use(accessCheck(name, operation)).input(operation.input);
      const builder = (operation.access ? checked.use(roleCheck(name, operation.access, options.projectRoles)) : checked).output(
        operation.output,
      );
      procedures[verb] = operation.kind === 'query' ? builder.query(resolve) : builder.mutation(resolve);
    }
    record[resource] = procedures;
  }
  return t.router(record as never) as unknown as ContractRouter<C>;
}
