import { CLIENT_APP } from '@atrium/contract';
import { unauthorized } from '@atrium/service-runtime';
import type { ServiceContext } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA } from '../db.js';

/**
 * A client over NATS (`@atrium/client`) calls with a session assertion identity signed when it
 * exchanged its credential (`credentials.exchange`); the services believe it without asking
 * anyone until it expires. Its lifetime never exceeds the credential's own (see exchange), and
 * identity — which owns the credentials — also checks on every such call it serves that the
 * credential is still there and unexpired: a deleted key, a logged-out session and the other
 * credentials a password change revoked are refused at once, as through the gateway. One
 * indexed lookup by primary key.
 */
export async function assertLiveClientCredential(ctx: ServiceContext): Promise<void> {
  const caller = ctx.meta.caller;
  if (ctx.app !== CLIENT_APP || !caller) return;
  const rows = await ctx.em.execute(
    `select 1 from "${IDENTITY_SCHEMA}"."sessions" where id = ? and user_id = ? and expires_at > now()
     union all
     select 1 from "${IDENTITY_SCHEMA}"."api_keys" where id = ? and user_id = ? and (expires_at is null or expires_at > now())
     limit 1`,
    [caller.credentialId, caller.userId, caller.credentialId, caller.userId],
  );
  if (rows.length === 0) throw unauthorized('Invalid or expired credential');
}

type AnyHandler = (input: never, ctx: ServiceContext) => Promise<unknown>;

/** Every handler of a service, each checking a client's credential first (see assertLiveClientCredential). */
export function checkingClientCredentials<H extends Record<string, Record<string, AnyHandler>>>(handlers: H): H {
  return Object.fromEntries(
    Object.entries(handlers).map(([resource, verbs]) => [
      resource,
      Object.fromEntries(
        Object.entries(verbs).map(([verb, handler]) => [
          verb,
          async (input: never, ctx: ServiceContext) => {
            await assertLiveClientCredential(ctx);
            return handler(input, ctx);
          },
        ]),
      ),
    ]),
  ) as H;
}
