import { TRPCError } from '@trpc/server';
import { needsUser } from '@atrium/contract';
import type { ContractRouter, Operation, ServiceContract, ServiceHandlers } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { toTRPCError } from './errors.js';
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

/**
 * Builds a service's tRPC router from its contract and one handler per operation. Input and
 * output schemas come from the contract (never redeclared), every operation checks who calls
 * it first (see `accessCheck`), and handler errors are mapped to tRPC errors here, once.
 */
export function implementService<C extends ServiceContract>(
  contract: C,
  handlers: ServiceHandlers<C, ServiceContext>,
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
      const builder = t.procedure
        .use(accessCheck(`${contract.name}.${resource}.${verb}`, operation))
        .input(operation.input)
        .output(operation.output);
      procedures[verb] = operation.kind === 'query' ? builder.query(resolve) : builder.mutation(resolve);
    }
    record[resource] = procedures;
  }
  return t.router(record as never) as unknown as ContractRouter<C>;
}
