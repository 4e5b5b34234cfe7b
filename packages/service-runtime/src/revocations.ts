import { CREDENTIAL_REVOKED_SUBJECT, SESSION_ASSERTION_TTL_MS, credentialRevokedSchema } from '@atrium/contract';
import type { Broadcast } from '@atrium/nats-trpc';

/**
 * Credentials revoked lately, as identity announces them. A client's session assertion names its
 * credential and is believed without asking identity until it expires, so each service
 * remembers a revocation for as long as such an assertion can live and refuses the calls that
 * name it: a revoked key, a logged-out session or one ended by a password change stops working
 * everywhere at once, not when its assertion runs out.
 */
export interface Revocations {
  isRevoked(credentialId: string): boolean;
  stop(): void;
}

export function watchRevocations(broadcast: Broadcast, rememberMs = SESSION_ASSERTION_TTL_MS): Revocations {
  const revokedUntil = new Map<string, number>();
  const forgetExpired = (now: number) => {
    for (const [id, until] of revokedUntil) if (until <= now) revokedUntil.delete(id);
  };
  const stop = broadcast.subscribe(CREDENTIAL_REVOKED_SUBJECT, (payload) => {
    const event = credentialRevokedSchema.safeParse(payload);
    if (!event.success) return;
    const now = Date.now();
    forgetExpired(now);
    for (const id of event.data.credential_ids) revokedUntil.set(id, now + rememberMs);
  });
  return {
    isRevoked(credentialId) {
      const until = revokedUntil.get(credentialId);
      return until !== undefined && until > Date.now();
    },
    stop,
  };
}
