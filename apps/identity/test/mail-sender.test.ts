import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryDatabase, startOrmHarness, startTestSmtpServer } from '@atrium/test-kit';
import type { TestSmtpServer } from '@atrium/test-kit';
import { createLogger, createMetrics, createSecretCipher } from '@atrium/service-runtime';
import type { Metrics } from '@atrium/service-runtime';
import type { MikroORM } from '@mikro-orm/postgresql';
import { IDENTITY_SCHEMA, initIdentityOrm } from '../src/db.js';
import { MailSender } from '../src/mail/mail-sender.js';
import type { MailRetry } from '../src/mail/mail-sender.js';
import { queueMail } from '../src/mail/sealed-mail.js';
import { smtpTransport } from '../src/mail/smtp.js';
import type { MailTransport } from '../src/mail/smtp.js';

let harness: Awaited<ReturnType<typeof startOrmHarness<MikroORM>>>;
let smtp: TestSmtpServer;
const cipher = createSecretCipher(randomBytes(32));
const FROM = 'Atrium <atrium@example.com>';
const quiet = createLogger('mail', 'silent');
const senders: MailSender[] = [];

beforeAll(async () => {
  [harness, smtp] = await Promise.all([startOrmHarness((url) => initIdentityOrm(url)), startTestSmtpServer()]);
});
// Every sender stops with its test, passed or failed: a stray one would send the next test's mails.
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.stop()));
  smtp.refuseWith(undefined);
});
afterAll(() => Promise.all([harness?.stop(), smtp?.stop()]));

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);

/** Queues mails the way the invite handler does: in a transaction that commits. */
async function queue(orm: MikroORM, ...recipients: string[]) {
  await orm.em.fork().transactional(async (em) => {
    for (const to of recipients)
      queueMail(em, cipher, {
        to,
        content: { subject: `Hello ${to}`, text: `Your link: https://api.example.com/api/v1/invites/ati_${to.length}secret/accept` },
      });
  });
}

function newSender(options: { orm?: MikroORM; transport?: MailTransport; retry?: Partial<MailRetry>; metrics?: Metrics } = {}) {
  const sender = new MailSender(options.orm ?? harness.orm, options.transport ?? smtpTransport(smtp.url), cipher, quiet, {
    schema: IDENTITY_SCHEMA,
    from: FROM,
    retry: options.retry ?? { firstDelayMs: 20, maxDelayMs: 100 },
    pollIntervalMs: 20,
    metrics: options.metrics,
  });
  senders.push(sender);
  options.metrics?.observeMailOutbox('identity', () => sender.counts());
  return sender;
}

const metricValue = async (metrics: Metrics, name: string, labels: Record<string, string>) => {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  return values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value ?? 0;
};

describe('the mail sender', () => {
  it('sends a committed mail through SMTP, with only its sealed text at rest, and drops the text once sent', async () => {
    await queue(harness.orm, 'first@example.com');
    const [queued] = await sql<{ sealed: Buffer; key_id: string }>(
      `select sealed, key_id from identity.mail_outbox where recipient = 'first@example.com'`,
    );
    expect(queued!.key_id).toBe(cipher.currentKeyId);
    expect(queued!.sealed.includes(Buffer.from('secret'))).toBe(false);
    expect(queued!.sealed.includes(Buffer.from('Hello'))).toBe(false);

    const start = smtp.received.length;
    const sender = newSender();
    sender.start();
    const [mail] = (await smtp.waitForMails(start + 1)).slice(start);
    expect(mail!.envelopeTo).toEqual(['first@example.com']);
    expect(mail!.parsed.from?.value).toEqual([{ name: 'Atrium', address: 'atrium@example.com' }]);
    expect(mail!.parsed.subject).toBe('Hello first@example.com');
    expect(mail!.parsed.text).toContain('https://api.example.com/api/v1/invites/ati_17secret/accept');

    await vi.waitUntil(
      async () =>
        (await sql(`select 1 from identity.mail_outbox where recipient = 'first@example.com' and sent_at is not null`)).length === 1,
      { timeout: 20_000 },
    );
    const [sent] = await sql(`select sealed, key_id, attempts, last_error from identity.mail_outbox where recipient = 'first@example.com'`);
    expect(sent).toEqual({ sealed: null, key_id: null, attempts: 0, last_error: null });
    await sender.stop();
  });

  it('retries a refused mail with growing delays until the server takes it, counting each failure', async () => {
    const metrics = createMetrics();
    smtp.refuseWith({ code: 451, message: 'Try again later' });
    const start = smtp.received.length;
    const sender = newSender({ metrics, retry: { firstDelayMs: 10, maxDelayMs: 40, maxAttempts: 50 } });
    sender.start();
    await queue(harness.orm, 'refused@example.com');
    sender.nudge();
    await vi.waitUntil(async () => (await metricValue(metrics, 'atrium_mail_deliveries_total', { outcome: 'failed' })) >= 3, {
      timeout: 20_000,
    });
    const [waiting] = await sql<{ attempts: number; last_error: string }>(
      `select attempts, last_error from identity.mail_outbox where recipient = 'refused@example.com'`,
    );
    expect(waiting!.attempts).toBeGreaterThanOrEqual(3);
    expect(waiting!.last_error).toMatch(/451/);
    expect(await metricValue(metrics, 'atrium_mail_outbox_backlog', { service: 'identity' })).toBe(1);

    smtp.refuseWith(undefined);
    const [mail] = (await smtp.waitForMails(start + 1)).slice(start);
    expect(mail!.envelopeTo).toEqual(['refused@example.com']);
    await vi.waitUntil(async () => (await metricValue(metrics, 'atrium_mail_deliveries_total', { outcome: 'sent' })) === 1, {
      timeout: 20_000,
    });
    expect(await metricValue(metrics, 'atrium_mail_outbox_backlog', { service: 'identity' })).toBe(0);
    await sender.stop();
    expect(smtp.received.length).toBe(start + 1);
  });

  it('sets a mail aside after its last attempt, visible in /metrics until a person acts', async () => {
    const metrics = createMetrics();
    smtp.refuseWith({ code: 550, message: 'No such mailbox' });
    const sender = newSender({ metrics, retry: { firstDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 } });
    await queue(harness.orm, 'nobody@example.com');
    sender.start();
    await vi.waitUntil(async () => (await metricValue(metrics, 'atrium_mail_outbox_set_aside', { service: 'identity' })) === 1, {
      timeout: 20_000,
    });
    smtp.refuseWith(undefined);
    expect(await metricValue(metrics, 'atrium_mail_deliveries_total', { outcome: 'failed' })).toBe(2);
    expect(await metricValue(metrics, 'atrium_mail_deliveries_total', { outcome: 'set_aside' })).toBe(1);
    const [row] = await sql<{ attempts: number; failed_at: Date | null }>(
      `select attempts, failed_at from identity.mail_outbox where recipient = 'nobody@example.com'`,
    );
    expect(row!.attempts).toBe(3);
    expect(row!.failed_at).not.toBeNull();
    await sender.stop();
    // Settled: nothing more is attempted.
    expect(await metricValue(metrics, 'atrium_mail_deliveries_total', { outcome: 'failed' })).toBe(2);
  });

  it('sends each mail once with two instances on one database, neither waiting for the other', async () => {
    const second = await initIdentityOrm(harness.databaseUrl);
    try {
      const recipients = Array.from({ length: 30 }, (_, i) => `pair-${i}@example.com`);
      await queue(harness.orm, ...recipients);
      const start = smtp.received.length;
      // Instance A holds the first mail it claims until instance B has sent one: B claims around A's
      // locked, leased row instead of waiting for it, and never takes it too.
      let bSent = 0;
      let releaseA!: () => void;
      const aMayGo = new Promise<void>((resolve) => {
        releaseA = resolve;
      });
      const smtpA = smtpTransport(smtp.url);
      const smtpB = smtpTransport(smtp.url);
      const sentBy = { a: 0, b: 0 };
      const a = newSender({
        transport: {
          async send(mail) {
            await aMayGo;
            await smtpA.send(mail);
            sentBy.a++;
          },
          close: () => smtpA.close(),
        },
      });
      const b = newSender({
        orm: second,
        transport: {
          async send(mail) {
            await smtpB.send(mail);
            sentBy.b++;
            if (++bSent === 1) releaseA();
          },
          close: () => smtpB.close(),
        },
      });
      a.start();
      b.start();
      const mails = (await smtp.waitForMails(start + recipients.length)).slice(start);
      await Promise.all([a.stop(), b.stop()]);
      expect(smtp.received.length).toBe(start + recipients.length);
      expect(mails.map((mail) => mail.envelopeTo[0]).sort()).toEqual([...recipients].sort());
      expect(sentBy.a).toBeGreaterThanOrEqual(1);
      expect(sentBy.b).toBeGreaterThanOrEqual(1);
      expect(sentBy.a + sentBy.b).toBe(recipients.length);
      const [pending] = await sql<{ count: string }>(
        `select count(*) from identity.mail_outbox where recipient like 'pair-%' and sent_at is null`,
      );
      expect(pending!.count).toBe('0');
    } finally {
      await second.close();
    }
  });
});
