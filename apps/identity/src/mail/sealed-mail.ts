import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SecretCipher } from '@atrium/service-runtime';
import { QueuedMail } from '../entities/index.js';

/** What is sealed: everything that may carry a secret (an invite's link). */
export interface MailContent {
  subject: string;
  text: string;
}

/** Binds a sealed mail to its row (and apart from every other use of ENCRYPTION_KEY). */
const mailContext = (id: string) => `identity.mail_outbox/${id}`;

/**
 * Queues a mail in `em`'s transaction: it is sent only if that transaction commits. The
 * subject and text are sealed with ENCRYPTION_KEY before they reach the database.
 */
export function queueMail(em: EntityManager, cipher: SecretCipher, mail: { to: string; inviteId?: string; content: MailContent }): void {
  const id = randomUUID();
  const { keyId, ciphertext } = cipher.seal(JSON.stringify(mail.content), mailContext(id));
  em.create(QueuedMail, {
    id,
    recipient: mail.to,
    inviteId: mail.inviteId ?? null,
    sealed: ciphertext,
    keyId,
    nextAttemptAt: new Date(),
    lastError: null,
    sentAt: null,
    failedAt: null,
  });
}

export function openMail(cipher: SecretCipher, row: { id: string; sealed: Uint8Array | null; key_id: string | null }): MailContent {
  if (!row.sealed || !row.key_id) throw new Error('The queued mail has no body');
  return JSON.parse(cipher.open({ keyId: row.key_id, ciphertext: row.sealed }, mailContext(row.id))) as MailContent;
}
