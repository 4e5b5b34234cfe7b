import { tooManyRequests } from '@atrium/service-runtime';
import type { ServiceContext } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA } from '../db.js';
import type { Passwords } from './passwords.js';

/** Failed verifications one account may have in a window, whichever operation made them. */
export const MAX_PASSWORD_FAILURES = 10;
export const PASSWORD_FAILURE_WINDOW_MS = 15 * 60 * 1000;

const TABLE = `"${IDENTITY_SCHEMA}"."password_attempts"`;

/**
 * The one way a handler verifies a password (the operations the contract marks
 * `password: 'verifies'`): all of them share one budget of failures per account. While the
 * budget is spent the answer is 429 with Retry-After, without even verifying. A failure is
 * counted after the call's transaction is over — it must stay counted although the call
 * fails and rolls back, and counting on a second connection while the transaction holds one
 * could starve the pool. A success clears the count. `account` is the lower-cased e-mail,
 * known or not; an unknown one is verified against a decoy so both failures take alike.
 */
export async function checkPassword(
  ctx: ServiceContext,
  passwords: Passwords,
  account: string,
  password: string,
  storedHash: string | undefined,
): Promise<boolean> {
  // Timestamps come back as text from MikroORM's driver.
  const [attempts] = await ctx.em.execute<{ failures: number; window_started_at: string }[]>(
    `select failures, window_started_at from ${TABLE} where account = ?`,
    [account],
  );
  if (attempts && attempts.failures >= MAX_PASSWORD_FAILURES) {
    const retryInMs = Date.parse(attempts.window_started_at) + PASSWORD_FAILURE_WINDOW_MS - Date.now();
    if (retryInMs > 0) {
      throw tooManyRequests('Too many failed password attempts for this account; try again later', retryInMs / 1000);
    }
  }
  const valid = (await passwords.verify(password, storedHash ?? (await passwords.decoy()))) && storedHash !== undefined;
  if (valid) {
    if (attempts) await ctx.em.execute(`delete from ${TABLE} where account = ?`, [account]);
  } else {
    ctx.afterTransaction(() => countFailure(ctx, account));
  }
  return valid;
}

async function countFailure(ctx: ServiceContext, account: string): Promise<void> {
  // One statement, so concurrent failures of one account all count.
  await ctx.em.execute(
    `insert into ${TABLE} as a (account, failures, window_started_at) values (?, 1, now())
     on conflict (account) do update set
       failures = case when a.window_started_at <= now() - ? * interval '1 millisecond' then 1 else a.failures + 1 end,
       window_started_at = case when a.window_started_at <= now() - ? * interval '1 millisecond' then now() else a.window_started_at end`,
    [account, PASSWORD_FAILURE_WINDOW_MS, PASSWORD_FAILURE_WINDOW_MS],
  );
}
