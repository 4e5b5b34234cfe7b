import type { ServiceContext } from './context.js';

/**
 * Runs a mutation as one transaction on the call's EntityManager: every statement the handler
 * sends, the outbox rows it records and its flushes commit together or not at all, and rows
 * it reads with `forUpdate` stay locked until then — so the database, not an earlier read,
 * decides whether the change still applies. Effects registered with `afterCommit` run once
 * the commit succeeded, those registered with `afterTransaction` in either case; both before
 * the answer leaves.
 */
export async function runInTransaction<T>(ctx: ServiceContext, work: () => Promise<T>): Promise<T> {
  const { em } = ctx;
  await em.begin();
  let output: T;
  try {
    output = await work();
    await ctx.beforeCommit();
    await em.commit();
  } catch (error) {
    if (em.isInTransaction()) await em.rollback().catch(() => undefined);
    await ctx.settle(false);
    throw error;
  }
  await ctx.settle(true);
  return output;
}
