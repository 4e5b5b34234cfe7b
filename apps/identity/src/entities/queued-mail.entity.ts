import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';

/**
 * A mail waiting to be sent (identity's mail outbox), written in the transaction of the change
 * that sends it, so an invite and its mail commit together. Its subject and body carry the
 * invite's token, so they are stored only sealed (ENCRYPTION_KEY, bound to the row's id) and
 * dropped once the mail is sent. `nextAttemptAt` is both when it is due and, while a sender
 * works on it, that sender's lease: a row is claimed by moving it into the future.
 */
export const QueuedMail = defineEntity({
  name: 'QueuedMail',
  tableName: 'mail_outbox',
  properties: (p) => ({
    id: columns.id(),
    /** The one recipient (lower-cased like every e-mail here); in clear, like the invite's own. */
    recipient: p.string().length(254),
    /** The invite it announces, for a person looking at the queue (not a foreign key: invites may be deleted). */
    inviteId: p.uuid().nullable(),
    /** `{subject, text}` sealed with the key `keyId` names; null once sent. */
    sealed: p.blob().nullable(),
    keyId: p.string().length(16).nullable(),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(3),
    lastError: p.string().length(1000).nullable(),
    createdAt: columns.createdAt(),
    sentAt: p.datetime(3).nullable(),
    /** Set when the sender gave up after its last attempt: the mail needs a person. */
    failedAt: p.datetime(3).nullable(),
  }),
  indexes: [
    {
      // Senders only ever look for what is due and neither sent nor given up.
      name: 'mail_outbox_due_index',
      expression: (table, _columns, name) =>
        `create index "${name}" on ${table.toString()} ("next_attempt_at", "id") where "sent_at" is null and "failed_at" is null`,
    },
  ],
});

export type IQueuedMail = InferEntity<typeof QueuedMail>;
