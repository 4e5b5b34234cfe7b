import { tooManyRequests } from '@atrium/service-runtime';
import type { ServiceContext } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA } from '../db.js';
import { commitSoFar } from '../transactions.js';
import type { Passwords } from './passwords.js';

/** Failed verifications one account may have in a window, whichever operation made them. */
export const MAX_PASSWORD_FAILURES = 10;
export const PASSWORD_FAILURE_WINDOW_MS = 15 * 60 * 1000;

const TABLE = `"${IDENTITY_SCHEMA}"."password_attempts"`;

/**
 * The one way a handler verifies a password (the operations the contract marks
 * `password: 'verifies'`): all of them share one budget of failures per account, whoever calls
 * — through the gateway or a client over NATS (per-address limits are the gateway's; over NATS
 * there is no address, so this per-account budget is the limit there).
 *
 * Each verification takes one unit of the budget *before* it runs, in one statement that counts
 * and reads the count (`insert … on conflict do update … returning`): concurrent attempts are
 * counted one after the other by the database, and an attempt whose unit is past
 * MAX_PASSWORD_FAILURES is answered 429 with Retry-After without verifying — so no more than the
 * budget is ever verified, however many arrive at once. The count is committed at once
 * (`commitSoFar`), before the slow verification: it must stand although the call then fails and
 * rolls back, and the account's row stays locked only for that statement. A success gives its
 * unit back by clearing the count. `account` is the lower-cased e-mail, known or not; an unknown
 * one is verified against a decoy so both failures take alike.
 */
export async function checkPassword(
  ctx: ServiceContext,
  passwords: Passwords,
  account: string,
  password: string,
  storedHash: string | undefined,
): Promise<boolean> {
  // Timestamps come back as text from MikroORM's driver.
  const [attempt] = await ctx.em.execute<{ failures: number; window_started_at: string }[]>(
    `insert into ${TABLE} as a (account, failures, window_started_at) values (?, 1, now())
     on conflict (account) do update set
       failures = case when a.window_started_at <= now() - ? * interval '1 millisecond' then 1 else a.failures + 1 end,
       window_started_at = case when a.window_started_at <= now() - ? * interval '1 millisecond' then now() else a.window_started_at end
     returning failures, window_started_at`,
    [account, PASSWORD_FAILURE_WINDOW_MS, PASSWORD_FAILURE_WINDOW_MS],
  );
  await commitSoFar(ctx);
  if (attempt && attempt.failures > MAX_PASSWORD_FAILURES) {
    const retryInMs = Date.parse(attempt.window_started_at) + PASSWORD_FAILURE_WINDOW_MS - Date.now();
    throw tooManyRequests('Too many failed password attempts for this account; try again later', retryInMs / 1000);
  }
  const valid = (await passwords.verify(password, storedHash ?? (await passwords.decoy()))) && storedHash !== undefined;
  if (valid) await ctx.em.execute(`delete from ${TABLE} where account = ?`, [account]);
  return valid;
}
