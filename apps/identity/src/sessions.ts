import type { EntityManager } from '@mikro-orm/postgresql';
import { CREDENTIAL_REVOKED_SUBJECT } from '@atrium/contract';
import type { CredentialRevoked } from '@atrium/contract';
import type { Broadcast } from '@atrium/nats-trpc';
import { Session } from './entities/index.js';
import type { IUser } from './entities/index.js';
import { SESSION_TOKEN_PREFIX, credentialHash, newCredential } from './security/tokens.js';

/** Starts a session for the user; the token is returned once and only its hash is kept. */
export function startSession(em: EntityManager, user: IUser, ttlMs: number): string {
  const token = newCredential(SESSION_TOKEN_PREFIX);
  em.create(Session, { user, tokenHash: credentialHash(token), expiresAt: new Date(Date.now() + ttlMs) });
  return token;
}

/** A revoked session or API key: its id (what assertions name) and the hash of its secret (the gateway's cache key). */
export interface RevokedCredential {
  id: string;
  hash: string;
}

export function announceRevoked(broadcast: Broadcast, credentials: RevokedCredential[]): void {
  if (credentials.length === 0) return;
  const event: CredentialRevoked = {
    credential_hashes: credentials.map((credential) => credential.hash),
    credential_ids: credentials.map((credential) => credential.id),
  };
  broadcast.publish(CREDENTIAL_REVOKED_SUBJECT, event);
}
