import type { MikroORM } from '@mikro-orm/postgresql';
import { createSecretCipher } from '@atrium/service-runtime';
import type { Logger, Metrics } from '@atrium/service-runtime';
import { loggedInviteDelivery, queuedInviteDelivery } from './invite-mail.js';
import type { InviteDelivery } from './invite-mail.js';
import { MailSender } from './mail-sender.js';
import type { MailRetry } from './mail-sender.js';
import type { MailTransport } from './smtp.js';

export interface IdentityMailOptions {
  transport: MailTransport;
  /** MAIL_FROM. */
  from: string;
  /** Seals queued mails (ENCRYPTION_KEY); previous keys still open what they sealed. */
  encryptionKey: Buffer;
  previousEncryptionKeys?: Buffer[];
  /** Only tests change these. */
  retry?: Partial<MailRetry>;
  pollIntervalMs?: number;
}

/**
 * How invites reach invitees in this instance: with mail options, queued mails and the sender
 * that sends them (its backlog and failures in /metrics); without, the log.
 */
export function startInviteMail(
  orm: MikroORM,
  schema: string,
  mail: IdentityMailOptions | undefined,
  deps: { log: Logger; metrics?: Metrics },
): { delivery: InviteDelivery; stop(): Promise<void> } {
  if (!mail) return { delivery: loggedInviteDelivery, stop: async () => undefined };
  const cipher = createSecretCipher(mail.encryptionKey, mail.previousEncryptionKeys);
  const sender = new MailSender(orm, mail.transport, cipher, deps.log, {
    schema,
    from: mail.from,
    retry: mail.retry,
    pollIntervalMs: mail.pollIntervalMs,
    metrics: deps.metrics,
  });
  deps.metrics?.observeMailOutbox('identity', () => sender.counts());
  sender.start();
  return {
    delivery: queuedInviteDelivery(cipher, () => sender.nudge()),
    async stop() {
      await sender.stop();
      mail.transport.close();
    },
  };
}
