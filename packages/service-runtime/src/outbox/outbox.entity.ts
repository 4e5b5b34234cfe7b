import { defineEntity } from '@mikro-orm/core';
import { columns } from '../entity-columns.js';

/**
 * An event written in the same transaction as the change it describes (the transactional
 * outbox): if the change commits, the event will be published, even after a crash.
 */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox',
  properties: (p) => ({
    /** Also the JetStream message id, so a re-publish after a crash is deduplicated. */
    id: columns.id(),
    /** `<service>.v1.<past-tense>`, published on `<namespace>.<type>` (see EventStreamOptions). */
    type: p.string().length(200),
    payload: p.json<Record<string, unknown>>(),
    createdAt: columns.createdAt(),
    publishedAt: p.datetime(3).nullable(),
    /** Failed publishes so far, the last error, and when the relay gave up on the row. */
    attempts: p.integer().default(0),
    lastError: p.string().length(1000).nullable(),
    failedAt: p.datetime(3).nullable(),
  }),
  // Partial indexes, declared here too so the schema diff of a migrated database stays empty.
  indexes: [
    {
      name: 'outbox_pending_index',
      expression: (table, _columns, name) =>
        `create index "${name}" on ${table.toString()} ("created_at", "id") where "published_at" is null and "failed_at" is null`,
    },
    {
      name: 'outbox_published_at_index',
      expression: (table, _columns, name) =>
        `create index "${name}" on ${table.toString()} ("published_at") where "published_at" is not null`,
    },
  ],
});

/** The table, for a service's migration: one outbox per service schema. */
export function outboxTableSql(schema: string): string[] {
  return [
    `create table "${schema}"."outbox" (
      "id" uuid not null, "type" varchar(200) not null, "payload" jsonb not null,
      "created_at" timestamptz(3) not null, "published_at" timestamptz(3) null,
      "attempts" int not null default 0, "last_error" varchar(1000) null, "failed_at" timestamptz(3) null,
      constraint "outbox_pkey" primary key ("id"));`,
    // The relay only ever looks for what is neither published nor set aside.
    `create index "outbox_pending_index" on "${schema}"."outbox" ("created_at", "id") where "published_at" is null and "failed_at" is null;`,
    `create index "outbox_published_at_index" on "${schema}"."outbox" ("published_at") where "published_at" is not null;`,
  ];
}
