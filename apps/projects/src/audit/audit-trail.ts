import type { MikroORM } from '@mikro-orm/postgresql';
import { SERVICE_SUBSCRIPTIONS } from '@atrium/contract';
import type { DomainEvent } from '@atrium/contract';
import { startEventConsumer, transactionRows } from '@atrium/service-runtime';
import type { EventSource, EventSubscription, Logger, Metrics } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PROJECTS_SCHEMA } from '../schema.js';

const table = `"${PROJECTS_SCHEMA}"."audit_events"`;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Writes events into the trail, all in one statement; each entry's id is its event's, so a
 * repeat (should one get past the consumer) adds nothing.
 */
export async function recordAuditEvents(events: readonly DomainEvent[], em: EntityManager): Promise<void> {
  await transactionRows(
    em,
    `insert into ${table} (id, project_id, type, actor_id, request_id, created_at, data)
     select * from unnest(?::uuid[], ?::uuid[], ?::text[], ?::uuid[], ?::text[], ?::timestamptz[], ?::jsonb[]) on conflict do nothing`,
    [
      events.map((event) => event.id),
      events.map((event) => event.data.project_id),
      events.map((event) => event.type),
      events.map((event) => event.actor),
      events.map((event) => event.request_id),
      events.map((event) => event.occurred_at),
      events.map((event) => JSON.stringify(event.data)),
    ],
  );
}

export interface AuditTrailOptions {
  orm: MikroORM;
  source: EventSource;
  log: Logger;
  metrics?: Metrics;
  /** Entries are kept as long as the events stream keeps events (EVENTS_MAX_AGE_DAYS). */
  retainMs: number;
}

/**
 * The audit trail's one write path: the `projects_audit` durable consumer of every service's
 * events (projects' own included, through the same stream), and an hourly prune of what the
 * stream itself no longer keeps.
 */
export async function startAuditTrail(options: AuditTrailOptions): Promise<EventSubscription> {
  const subscription = await startEventConsumer(options.source, {
    service: 'projects',
    purpose: 'audit',
    types: SERVICE_SUBSCRIPTIONS.projects.consumers.audit,
    handle: recordAuditEvents,
    orm: options.orm,
    schema: PROJECTS_SCHEMA,
    log: options.log,
    metrics: options.metrics,
  });
  const prune = () =>
    options.orm.em
      .fork()
      .execute(`delete from ${table} where created_at < ?`, [new Date(Date.now() - options.retainMs)])
      .catch((error: unknown) => options.log.warn({ err: error }, 'audit trail: prune failed'));
  void prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await subscription.stop();
    },
  };
}
