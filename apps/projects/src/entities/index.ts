import { DeadLetter, EventAttempt, IdempotencyRecord, OutboxEvent, ProcessedEvent } from '@atrium/service-runtime';
import { AuditEvent } from './audit-event.entity.js';
import { Member } from './member.entity.js';
import { Project } from './project.entity.js';
import { Webhook, WebhookDelivery } from './webhook.entity.js';

export { AuditEvent, Member, Project };
export { Webhook, WebhookDelivery };
export type { IWebhook, IWebhookDelivery } from './webhook.entity.js';
export type { IAuditEvent } from './audit-event.entity.js';
export type { IMember } from './member.entity.js';
export { memberFields } from './member.entity.js';
export type { IProject } from './project.entity.js';
export { projectFields } from './project.entity.js';

/** The outbox, the idempotency records and the event consumer's tables (from service-runtime) live in this service's schema too. */
export const entities = [
  Project,
  Member,
  AuditEvent,
  OutboxEvent,
  IdempotencyRecord,
  ProcessedEvent,
  EventAttempt,
  DeadLetter,
  Webhook,
  WebhookDelivery,
];
