import { defineEntity } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The events a consumer has handled, written in the same transaction as the handler's own
 * changes: a redelivered event (an acknowledgement lost, a process killed mid-handler) finds
 * its row and is acknowledged without running again, so a change is never applied twice.
 * Pruned (by `processedAt`) once older than the stream keeps events: none older is redelivered.
 */
export const ProcessedEvent = defineEntity({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  properties: (p) => ({
    consumer: p.string().length(100).primary(),
    eventId: p.uuid().primary(),
    processedAt: p.datetime(3),
  }),
  indexes: [{ properties: ['processedAt'] }],
});

/**
 * An event a consumer gave up on: its body could not be read, or its handler failed on every
 * delivery allowed. Kept for a person (counted in /metrics and /readyz), never retried by itself.
 */
export const DeadLetter = defineEntity({
  name: 'DeadLetter',
  tableName: 'event_dead_letters',
  properties: (p) => ({
    id: p.uuid().primary(),
    consumer: p.string().length(100),
    /** Null when the body was not an event envelope at all. */
    eventId: p.uuid().nullable(),
    subject: p.string().length(300),
    body: p.text(),
    error: p.string().length(1000),
    deliveries: p.integer(),
    failedAt: p.datetime(3),
  }),
  indexes: [{ properties: ['consumer'] }],
});

/**
 * The attempts at handling an event that have not succeeded yet: failed, or begun and never
 * finished (their process died). Counted here, not from JetStream's delivery count, because
 * JetStream counts every delivery — those deferred for want of a database connection and those
 * that only timed out waiting in a busy consumer too — and the consumer gives up on an event
 * only after `maxAttempts` attempts whose handler ran. `lastError` is what the latest attempt
 * failed on (null while it runs, or if it never finished), for the dead letter should the one
 * written at its failure not get through. Deleted with its event's success or dead letter.
 */
export const EventAttempt = defineEntity({
  name: 'EventAttempt',
  tableName: 'event_attempts',
  properties: (p) => ({
    consumer: p.string().length(100).primary(),
    eventId: p.uuid().primary(),
    attempts: p.integer(),
    lastAttemptAt: p.datetime(3),
    lastError: p.string().length(1000).nullable(),
  }),
  // For the prune of attempts at events the stream no longer keeps.
  indexes: [{ properties: ['lastAttemptAt'] }],
});

/** The two tables, for a service's migration (one pair per service schema, like the outbox). */
export function eventConsumerTablesSql(schema: string): string[] {
  return [
    `create table "${schema}"."processed_events" (
      "consumer" varchar(100) not null, "event_id" uuid not null, "processed_at" timestamptz(3) not null,
      constraint "processed_events_pkey" primary key ("consumer", "event_id"));`,
    `create index "processed_events_processed_at_index" on "${schema}"."processed_events" ("processed_at");`,
    `create table "${schema}"."event_dead_letters" (
      "id" uuid not null, "consumer" varchar(100) not null, "event_id" uuid null, "subject" varchar(300) not null,
      "body" text not null, "error" varchar(1000) not null, "deliveries" int not null, "failed_at" timestamptz(3) not null,
      constraint "event_dead_letters_pkey" primary key ("id"));`,
    `create index "event_dead_letters_consumer_index" on "${schema}"."event_dead_letters" ("consumer");`,
  ];
}

/** The attempts table (`EventAttempt`), for a service's migration after those of `eventConsumerTablesSql`. */
export function eventAttemptsTableSql(schema: string): string[] {
  return [
    `create table "${schema}"."event_attempts" (
      "consumer" varchar(100) not null, "event_id" uuid not null, "attempts" int not null, "last_attempt_at" timestamptz(3) not null,
      "last_error" varchar(1000) null,
      constraint "event_attempts_pkey" primary key ("consumer", "event_id"));`,
    `create index "event_attempts_last_attempt_at_index" on "${schema}"."event_attempts" ("last_attempt_at");`,
  ];
}

/** Dead letters per consumer of a service's schema (for /metrics and the health check). */
export async function deadLetterCounts(em: EntityManager, schema: string): Promise<Record<string, number>> {
  const rows = await em.execute<{ consumer: string; count: string }[]>(
    `select consumer, count(*) as count from "${schema}"."event_dead_letters" group by consumer`,
  );
  return Object.fromEntries(rows.map((row) => [row.consumer, Number(row.count)]));
}
