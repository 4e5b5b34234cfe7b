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

/**
 * Broadcast by projects, after the commit, whenever who may do what in a project changes: a
 * member added, re-roled or removed (`user_id` set), or the project deleted or its ownership
 * moved (`user_id` absent: everyone in it). Services that cache roles (environments) forget the
 * entries at once. A notification, not a durable event: a missed one only ages out of the cache.
 */
export const MEMBERSHIP_CHANGED_SUBJECT = 'ntf.projects.v1.membership_changed';
export const membershipChangedSchema = z.object({
  project_id: z.uuid(),
  user_id: z.uuid().optional(),
});
export type MembershipChanged = z.infer<typeof membershipChangedSchema>;

/** Recorded in projects' outbox with the project: environments creates the default environment from it if the direct call failed. */
export const PROJECT_CREATED = 'projects.v1.created';
export const projectCreatedSchema = z.object({
  project_id: z.uuid(),
  name: z.string(),
  created_by: z.uuid(),
});
export type ProjectCreated = z.infer<typeof projectCreatedSchema>;

/**
 * What each service listens to, declared once: the durable events it consumes (through a
 * JetStream consumer named after the service) and the notifications it subscribes to. The
 * services subscribe from here and the bus permissions are derived from it.
 */
export const SERVICE_SUBSCRIPTIONS = {
  environments: { events: [PROJECT_CREATED], notifications: [MEMBERSHIP_CHANGED_SUBJECT] },
} as const satisfies Partial<Record<'identity' | 'projects' | 'environments', { events: readonly string[]; notifications: readonly string[] }>>;
