import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

/**
 * One entry of a project's audit trail: a domain event of any service, as the `projects_audit`
 * consumer received it (its id is the event's). Written only from events — one write path —
 * and never cascaded: it outlives the resources it describes, until it is as old as the
 * events stream keeps events.
 */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: (p) => ({
    id: p.uuid().primary(),
    /** No foreign key: the trail stays when the project goes. */
    projectId: p.uuid(),
    type: p.string().length(200),
    actorId: p.uuid().nullable(),
    requestId: p.string().length(200).nullable(),
    /** When the change was committed (the envelope's `occurred_at`): the list's order. */
    createdAt: p.datetime(3),
    data: p.json<Record<string, unknown>>(),
  }),
  indexes: [{ properties: ['projectId', 'createdAt', 'id'] }, { properties: ['createdAt'] }],
});
export type IAuditEvent = InferEntity<typeof AuditEvent>;
