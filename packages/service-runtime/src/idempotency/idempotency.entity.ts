import { defineEntity } from '@mikro-orm/core';

/**
 * The first answer to a creating call made with an `Idempotency-Key`, written in the same
 * transaction as the call's own changes: if they commit, so does the answer a repeat replays.
 * Neither the key nor the answer is stored in the clear — the answer can hold a secret (a new
 * session token or API key): `scope` is a SHA-256 of (caller, operation, key), `response` is
 * encrypted with a key derived from the Idempotency-Key, `request_hash` an HMAC of the request.
 */
export const IdempotencyRecord = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_keys',
  properties: (p) => ({
    scope: p.string().length(64).primary(),
    requestHash: p.string().length(64),
    response: p.text(),
    createdAt: p.datetime(3),
  }),
  indexes: [{ properties: ['createdAt'] }],
});

/** The table, for a service's migration: one per service schema, like the outbox. */
export function idempotencyTableSql(schema: string): string[] {
  return [
    `create table "${schema}"."idempotency_keys" (
      "scope" varchar(64) not null, "request_hash" varchar(64) not null, "response" text not null,
      "created_at" timestamptz(3) not null,
      constraint "idempotency_keys_pkey" primary key ("scope"));`,
    `create index "idempotency_keys_created_at_index" on "${schema}"."idempotency_keys" ("created_at");`,
  ];
}
