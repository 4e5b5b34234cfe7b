import { z } from 'zod';

/**
 * Broadcast to every gateway instance when a credential stops working (logout, key
 * deletion, password change), so cached authentications are dropped at once. A notification
 * (`ntf.`), not a durable event (`evt.`): the events stream must not store credential digests.
 */
export const CREDENTIAL_REVOKED_SUBJECT = 'ntf.identity.v1.credential_revoked';
export const credentialRevokedSchema = z.object({
  /** SHA-256 (hex) of the revoked token or key: the gateway's cache key. */
  credential_hashes: z.array(z.string()),
});
export type CredentialRevoked = z.infer<typeof credentialRevokedSchema>;

/**
 * Durable domain events (JetStream stream ATRIUM, subjects `evt.<type>`), written to the
 * owning service's outbox in the transaction of the change.
 */
export const PROJECT_DELETED = 'projects.v1.deleted';
export const projectDeletedSchema = z.object({
  project_id: z.uuid(),
  name: z.string(),
  deleted_by: z.uuid(),
});
export type ProjectDeleted = z.infer<typeof projectDeletedSchema>;
