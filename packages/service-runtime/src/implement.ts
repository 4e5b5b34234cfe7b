import { TRPCError } from '@trpc/server';
import type { ContractRouter, Operation, ServiceContract, ServiceHandlers } from '@atrium/contract';
import type { ServiceContext } from './context.js';
import { toTRPCError } from './errors.js';
import { runInTransaction } from './transaction.js';
import { createServiceTRPC } from './trpc.js';

const t = createServiceTRPC<ServiceContext>();

/**
 * Builds a service's tRPC router from its contract and one handler per operation. Input and
 * output schemas come from the contract (never redeclared), operations the contract marks
 * as user-facing refuse calls without an authenticated caller, every mutation is one
 * transaction, and handler errors are mapped to tRPC errors here, once.
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
      const needsCaller = operation.rest?.auth === 'user';
      const resolve = async ({ input, ctx }: { input: unknown; ctx: ServiceContext }) => {
        if (needsCaller && !ctx.meta.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Authentication required' });
        try {
          if (operation.kind === 'mutation') return await runInTransaction(ctx, () => handler(input, ctx));
          const output = await handler(input, ctx);
          ctx.committed();
          return output;
        } catch (error) {
          throw toTRPCError(error);
        }
      };
      const builder = t.procedure.input(operation.input).output(operation.output);
      procedures[verb] = operation.kind === 'query' ? builder.query(resolve) : builder.mutation(resolve);
    }
    record[resource] = procedures;
  }
  return t.router(record as never) as unknown as ContractRouter<C>;
}
