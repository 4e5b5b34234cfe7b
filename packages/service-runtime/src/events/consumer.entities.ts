import { defineEntity } from '@mikro-orm/core';

/**
 * The events a consumer has handled, written in the same transaction as the handler's own
 * changes: a redelivered event (an acknowledgement lost, a process killed mid-handler) finds
 * its row and is acknowledged without running again, so a change is never applied twice.
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
