import { z } from 'zod';

/**
 * Broadcast to every gateway instance when a credential stops working (logout, key
 * deletion, password change), so cached authentications are dropped at once.
 */
export const CREDENTIAL_REVOKED_SUBJECT = 'evt.identity.v1.credential_revoked';
export const credentialRevokedSchema = z.object({
  /** SHA-256 (hex) of the revoked token or key: the gateway's cache key. */
  credential_hashes: z.array(z.string()),
});
export type CredentialRevoked = z.infer<typeof credentialRevokedSchema>;
