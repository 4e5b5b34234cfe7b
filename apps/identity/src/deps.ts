import type { Broadcast, CallSigner } from '@atrium/nats-trpc';
import type { HandlerOf, identityContract } from '@atrium/contract';
import type { ServiceContext } from '@atrium/service-runtime';
import type { InviteDelivery } from './mail/invite-mail.js';
import type { Passwords } from './security/passwords.js';

export interface IdentityDeps {
  broadcast: Broadcast;
  sessionTtlMs: number;
  /** Identity's own key: signs clients' session assertions. */
  signer: CallSigner;
  passwords: Passwords;
  inviteTtlMs: number;
  registration: 'open' | 'invite-only';
  /** The accept link of an invite, from its token. */
  acceptUrl: (token: string) => string;
  /** How a new invite's link reaches the invitee: a queued mail, or the log. */
  inviteDelivery: InviteDelivery;
}

type Ops = (typeof identityContract)['operations'];
/** The handler type of one identity operation, e.g. `Handler<'auth', 'login'>`. */
export type Handler<R extends keyof Ops, V extends keyof Ops[R]> = HandlerOf<typeof identityContract, R, V, ServiceContext>;
