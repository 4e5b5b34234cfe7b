import type { ServiceContext } from '@atrium/service-runtime';

/**
 * Commits what the call's transaction did so far and begins the next one, on the same
 * connection: that much stands whatever follows, even if the call then fails and rolls back.
 * For a claim or a count that must be settled before something outside this transaction
 * (another service, a slow verification) is relied upon. Nothing may be pending that should
 * not be committed yet: the commit flushes, and it releases the transaction's locks — so not for
 * operations that take an Idempotency-Key (201s: their advisory lock is transaction-scoped).
 * Used by acceptInvite (the claim) and checkPassword (the attempt's count).
 */
export async function commitSoFar(ctx: ServiceContext): Promise<void> {
  if (!ctx.em.isInTransaction()) return;
  await ctx.beforeCommit();
  await ctx.em.commit();
  await ctx.em.begin();
}
