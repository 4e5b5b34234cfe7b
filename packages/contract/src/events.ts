import { z } from 'zod';
import { projectRoleSchema } from './roles.js';
import { timestampSchema, uuidSchema } from './schemas/common.js';

/**
 * Broadcast to every gateway instance when a credential stops working (logout, key
 * deletion, password change), so cached authentications are dropped at once. A notification
 * (`ntf.`), not a durable event (`evt.`): the events stream must not store credential digests.
 */
export const CREDENTIAL_REVOKED_SUBJECT = 'ntf.identity.v1.credential_revoked';
export const credentialRevokedSchema = z.object({
  /** SHA-256 (hex) of the revoked token or key: the gateway's cache key. */
  credential_hashes: z.array(z.string()),
  /** Their ids, as call assertions name them: services refuse the sessions exchanged for them. */
  credential_ids: z.array(z.string()),
});
export type CredentialRevoked = z.infer<typeof credentialRevokedSchema>;

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

const project = { project_id: uuidSchema };
const environment = { ...project, environment_id: uuidSchema, name: z.string() };
/** Which fields an update changed: names only, never values (a variable's value never travels). */
const changedFields = { fields: z.array(z.string()) };

/**
 * Every durable domain event, declared once: `evt.<service>.v1.<past-tense>` (the service
 * part is the owner; only it may publish there) and what its `data` holds. Each is written to
 * the owning service's outbox in the transaction of the change and reaches JetStream (stream
 * ATRIUM) through the relay. Every one is about a project, so each carries `project_id`.
 */
export const DOMAIN_EVENTS = {
  'projects.v1.created': z.object({ ...project, name: z.string() }),
  'projects.v1.updated': z.object({ ...project, name: z.string(), ...changedFields }),
  'projects.v1.deleted': z.object({ ...project, name: z.string() }),
  'projects.v1.member_added': z.object({ ...project, member_id: uuidSchema, user_id: uuidSchema, role: projectRoleSchema }),
  'projects.v1.member_role_changed': z.object({
    ...project,
    member_id: uuidSchema,
    user_id: uuidSchema,
    role: projectRoleSchema,
    previous_role: projectRoleSchema,
  }),
  'projects.v1.member_removed': z.object({ ...project, member_id: uuidSchema, user_id: uuidSchema, role: projectRoleSchema }),
  'projects.v1.ownership_transferred': z.object({ ...project, previous_owner_id: uuidSchema, new_owner_id: uuidSchema }),
  'projects.v1.webhook_created': z.object({ ...project, webhook_id: uuidSchema, url: z.string(), events: z.array(z.string()) }),
  'projects.v1.webhook_deleted': z.object({ ...project, webhook_id: uuidSchema, url: z.string() }),
  'projects.v1.webhook_secret_rotated': z.object({ ...project, webhook_id: uuidSchema }),
  'identity.v1.invite_created': z.object({ ...project, invite_id: uuidSchema, email: z.string(), role: projectRoleSchema }),
  'identity.v1.invite_cancelled': z.object({ ...project, invite_id: uuidSchema, email: z.string() }),
  'identity.v1.invite_accepted': z.object({ ...project, invite_id: uuidSchema, email: z.string(), user_id: uuidSchema }),
  'environments.v1.created': z.object({ ...environment, cloned_from: uuidSchema.nullable() }),
  'environments.v1.updated': z.object({ ...environment, ...changedFields }),
  'environments.v1.deleted': z.object({ ...environment }),
  'environments.v1.default_changed': z.object({ ...environment, previous_environment_id: uuidSchema.nullable() }),
  'environments.v1.variable_set': z.object({ ...environment, key: z.string(), secret: z.boolean(), created: z.boolean() }),
  'environments.v1.variable_deleted': z.object({ ...environment, key: z.string() }),
  /** The deploy system read the environment's values (`environments.variables.resolve`): the keys it got, never a value. */
  'environments.v1.variables_resolved': z.object({ ...environment, keys: z.array(z.string()), caller: z.literal('deployer') }),
} as const;

export type EventType = keyof typeof DOMAIN_EVENTS;
export type EventData<T extends EventType> = z.infer<(typeof DOMAIN_EVENTS)[T]>;
export const EVENT_TYPES = Object.keys(DOMAIN_EVENTS) as EventType[];
export const eventTypeSchema = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);

/** The service owning (and alone publishing) an event type: its first segment. */
export function eventOwner(type: EventType): string {
  return type.slice(0, type.indexOf('.'));
}

/**
 * The one envelope of every durable event: the JetStream message body. `id` is also the outbox
 * row id and the JetStream message id (a re-publish after a crash is dropped as a duplicate),
 * and consumers record it to handle each event once.
 */
export const eventEnvelopeSchema = z.object({
  id: uuidSchema,
  type: eventTypeSchema,
  /** When the change was made (its transaction). */
  occurred_at: timestampSchema,
  /** The user whose call made the change; null for a change nobody asked for directly. */
  actor: uuidSchema.nullable(),
  /** The `x-request-id` of the call that made it, to find its log lines. */
  request_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;
/** An envelope whose `data` was checked against its type's schema. */
export type DomainEvent<T extends EventType = EventType> = Omit<EventEnvelope, 'type' | 'data'> & { type: T; data: EventData<T> };

/** Parses an envelope and its data; throws (a zod error) on anything else. */
export function parseDomainEvent(body: unknown): DomainEvent {
  const envelope = eventEnvelopeSchema.parse(body);
  return { ...envelope, data: DOMAIN_EVENTS[envelope.type].parse(envelope.data) } as DomainEvent;
}

export const PROJECT_CREATED = 'projects.v1.created' satisfies EventType;
export const PROJECT_DELETED = 'projects.v1.deleted' satisfies EventType;

/** Events of a service that are about a project's audit trail: all of them. */
const AUDITED: readonly EventType[] = EVENT_TYPES;

/**
 * What each service listens to, declared once: its durable consumers — one per purpose, named
 * `<service>_<purpose>` on the events stream — with the event types each handles, and the
 * notifications it subscribes to. The services subscribe from here and the bus permissions
 * (`bus-permissions.ts`, `infra/k8s/nats-authorization.conf`) are derived from it.
 */
export const SERVICE_SUBSCRIPTIONS = {
  environments: {
    consumers: { cascade: [PROJECT_CREATED, PROJECT_DELETED] },
    notifications: [MEMBERSHIP_CHANGED_SUBJECT, CREDENTIAL_REVOKED_SUBJECT],
  },
  identity: { consumers: { cascade: [PROJECT_DELETED] }, notifications: [] },
  projects: { consumers: { audit: AUDITED, webhooks: EVENT_TYPES }, notifications: [CREDENTIAL_REVOKED_SUBJECT] },
} as const satisfies Record<
  'identity' | 'projects' | 'environments',
  { consumers: Record<string, readonly EventType[]>; notifications: readonly string[] }
>;

export type ConsumerPurpose<S extends keyof typeof SERVICE_SUBSCRIPTIONS> = keyof (typeof SERVICE_SUBSCRIPTIONS)[S]['consumers'] & string;

/** The durable consumer's name (a JetStream name: no dots). */
export function consumerName(service: string, purpose: string): string {
  return `${service}_${purpose}`;
}
