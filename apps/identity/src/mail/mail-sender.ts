import type { MikroORM } from '@mikro-orm/postgresql';
import { DrainLoop } from '@atrium/service-runtime';
import type { Logger, Metrics, OutboxCounts, SecretCipher } from '@atrium/service-runtime';
import { openMail } from './sealed-mail.js';
import type { MailTransport } from './smtp.js';

/** How a failed mail is tried again: delays doubling from `firstDelayMs` up to `maxDelayMs`, `maxAttempts` in all. */
export interface MailRetry {
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Ten attempts over about three and a half hours: an SMTP server's restart or a short outage loses nothing. */
export const DEFAULT_MAIL_RETRY: MailRetry = { maxAttempts: 10, firstDelayMs: 30_000, maxDelayMs: 60 * 60_000 };

export interface MailSenderOptions {
  schema: string;
  /** The From: of every mail (MAIL_FROM). */
  from: string;
  retry?: Partial<MailRetry>;
  /** How often to look for mails that fell due (retries, or a crashed instance's) besides being nudged. */
  pollIntervalMs?: number;
  /** How long a claimed mail is left to its sender before another may take it (far above the SMTP timeouts). */
  leaseMs?: number;
  /** Sent rows (their bodies already dropped) are deleted after this long. */
  retainSentMs?: number;
  metrics?: Metrics;
}

interface ClaimedMail {
  id: string;
  recipient: string;
  sealed: Uint8Array | null;
  key_id: string | null;
  attempts: number;
}

/** The delay before attempt `attempts + 1`, with ±20 % jitter so instances do not retry in step. */
export function retryDelayMs(retry: MailRetry, attempts: number): number {
  const delay = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempts - 1));
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

/**
 * Sends identity's queued mails after their transaction committed, from every instance at once
 * without sending one twice: a mail is claimed by one statement that moves its due time a lease
 * ahead (`for update skip locked`, so instances never wait for each other), and marked sent —
 * its sealed body dropped — once the SMTP server accepted it. A failed attempt is counted and
 * the mail falls due again after a growing delay; after the last one it is set aside
 * (`failed_at`, in /metrics). An instance dying mid-send leaves its claim to expire, and the
 * mail is sent by whoever comes next: at least once, and twice only if the process died
 * between the server's acceptance and the mark.
 */
export class MailSender {
  private lastPrune = 0;
  private readonly loop: DrainLoop;
  private readonly table: string;
  private readonly retry: MailRetry;

  constructor(
    private readonly orm: MikroORM,
    private readonly transport: MailTransport,
    private readonly cipher: SecretCipher,
    private readonly log: Logger,
    private readonly options: MailSenderOptions,
  ) {
    this.table = `"${options.schema}"."mail_outbox"`;
    this.retry = { ...DEFAULT_MAIL_RETRY, ...options.retry };
    this.loop = new DrainLoop(() => this.sendDue(), options.pollIntervalMs ?? 5000, log, 'mail sender: will retry');
  }

  start(): void {
    this.loop.start();
  }

  /** Send what is due now (called after a transaction that queued a mail commits). */
  nudge(): void {
    this.loop.nudge();
  }

  /** Resolves once no mail is being sent (a mail in hand is finished first). */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Mails waiting (being retried included) and mails given up on, for /metrics. */
  async counts(): Promise<OutboxCounts> {
    const [row] = await this.orm.em.fork().execute<{ backlog: string; set_aside: string }[]>(
      `select count(*) filter (where failed_at is null) as backlog, count(*) filter (where failed_at is not null) as set_aside
         from ${this.table} where sent_at is null`,
    );
    return { backlog: Number(row?.backlog ?? 0), setAside: Number(row?.set_aside ?? 0) };
  }

  /** Waits until no pass is in progress (for tests). */
  async settle(): Promise<void> {
    await this.loop.settle();
  }

  /** One mail after another while any is due; a failure ends the pass (the server is likely down for the rest too). */
  private async sendDue(): Promise<void> {
    while (!this.loop.stopped) {
      const mail = await this.claim();
      if (!mail || !(await this.send(mail))) break;
    }
    await this.pruneOccasionally();
  }

  private async claim(): Promise<ClaimedMail | undefined> {
    const [mail] = await this.orm.em.fork().execute<ClaimedMail[]>(
      `update ${this.table} set next_attempt_at = now() + ? * interval '1 millisecond'
        where id = (select id from ${this.table}
                     where sent_at is null and failed_at is null and next_attempt_at <= now()
                     order by next_attempt_at, id limit 1 for update skip locked)
        returning id, recipient, sealed, key_id, attempts`,
      [this.options.leaseMs ?? 5 * 60_000],
    );
    return mail;
  }

  private async send(mail: ClaimedMail): Promise<boolean> {
    const em = this.orm.em.fork();
    const outcome = (label: 'sent' | 'failed' | 'set_aside') =>
      this.options.metrics?.mailDeliveries.inc({ service: 'identity', outcome: label });
    try {
      const content = openMail(this.cipher, mail);
      await this.transport.send({ from: this.options.from, to: mail.recipient, ...content });
    } catch (error) {
      const attempts = mail.attempts + 1;
      const giveUp = attempts >= this.retry.maxAttempts;
      const delayMs = retryDelayMs(this.retry, attempts);
      await em.execute(
        `update ${this.table} set attempts = ?, last_error = ?, next_attempt_at = now() + ? * interval '1 millisecond'${giveUp ? ', failed_at = now()' : ''} where id = ?`,
        [attempts, String(error instanceof Error ? error.message : error).slice(0, 1000), delayMs, mail.id],
      );
      outcome(giveUp ? 'set_aside' : 'failed');
      // The error and the recipient, never the mail: its text holds the invite's link.
      if (giveUp) this.log.error({ err: error, mailId: mail.id, attempts }, 'mail sender: gave up on a mail (set aside)');
      else this.log.warn({ err: error, mailId: mail.id, attempts, retryInMs: delayMs }, 'mail sender: sending failed, will retry');
      return false;
    }
    await em.execute(`update ${this.table} set sent_at = now(), sealed = null, key_id = null, last_error = null where id = ?`, [mail.id]);
    outcome('sent');
    this.log.debug({ mailId: mail.id, attempts: mail.attempts + 1 }, 'mail sent');
    return true;
  }

  private async pruneOccasionally(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60 * 60 * 1000) return;
    this.lastPrune = now;
    const retainMs = this.options.retainSentMs ?? 7 * 24 * 60 * 60 * 1000;
    await this.orm.em.fork().execute(`delete from ${this.table} where sent_at < ?`, [new Date(now - retainMs)]);
  }
}
