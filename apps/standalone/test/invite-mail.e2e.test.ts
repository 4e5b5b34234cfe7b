import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, queryDatabase, startTestSmtpServer } from '@atrium/test-kit';
import type { ReceivedMail, TestSmtpServer } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let smtp: TestSmtpServer | undefined;
let smtpPort: number;

beforeAll(async () => {
  smtpPort = await freePort();
  smtp = await startTestSmtpServer({ port: smtpPort });
  system = await startTestSystem(
    {
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      PUBLIC_URL: 'https://api.example.com',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Atrium <atrium@example.com>',
    },
    // Retries every few tens of milliseconds, and never given up on, so the test sees them happen.
    { mail: { retry: { firstDelayMs: 50, maxDelayMs: 200, maxAttempts: 10_000 }, pollIntervalMs: 50 } },
  );
});
afterAll(async () => {
  await system?.stop();
  await smtp?.stop();
});

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);

/** One sample of the gateway's /metrics (the one-process mode serves every service's there). */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${system.url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((label) => match[2]!.split(',').includes(label))) return Number(match[3]);
  }
  return undefined;
}

async function mailTo(server: TestSmtpServer, email: string): Promise<ReceivedMail> {
  await vi.waitUntil(() => server.received.some((mail) => mail.envelopeTo.includes(email)), { timeout: 20_000, interval: 20 });
  return server.received.find((mail) => mail.envelopeTo.includes(email))!;
}

async function projectOf(owner: Awaited<ReturnType<typeof newUser>>) {
  const created = await system.api('POST', '/projects', {
    token: owner.token,
    body: { name: `mail-${randomUUID().slice(0, 8)}`, display_name: 'Mail Target' },
  });
  expect(created.status).toBe(201);
  return created.body.data as { id: string; name: string };
}

describe('invite mails with SMTP_URL', () => {
  it('creating an invite sends a mail whose accept link works; nothing at rest holds the token in clear', async () => {
    const owner = await newUser(system.api, 'owner');
    const project = await projectOf(owner);
    const email = `colleague-${randomUUID().slice(0, 8)}@example.com`;
    const created = await system.api('POST', `/projects/${project.id}/invites`, {
      token: owner.token,
      body: { email: email.toUpperCase(), role: 'member' },
    });
    expect(created.status, created.text).toBe(201);
    const { token, accept_url: acceptUrl } = created.body.data;

    const mail = await mailTo(smtp!, email);
    expect(mail.envelopeTo).toEqual([email]);
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value : undefined).toEqual([{ name: '', address: email }]);
    expect(mail.parsed.from?.value).toEqual([{ name: 'Atrium', address: 'atrium@example.com' }]);
    expect(mail.parsed.subject).toBe('owner invited you to Mail Target on Atrium');
    expect(mail.parsed.text).toContain(`join the project Mail Target (${project.name}) on Atrium as member`);
    const link = /(https:\/\/api\.example\.com\/api\/v1\/invites\/\S+\/accept)/.exec(mail.parsed.text ?? '')?.[1];
    expect(link).toBe(acceptUrl);

    // The link is the accept operation: the invitee registers and posts to it.
    const invitee = await system.api('POST', '/auth/register', { body: { email, password: 'correct horse battery', name: 'Colleague' } });
    expect(invitee.status).toBe(201);
    const path = new URL(link!).pathname.replace(/^\/api\/v1/, '');
    const accepted = await system.api('POST', path, { token: invitee.body.data.token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.data).toMatchObject({ project_id: project.id, email, role: 'member', name: 'Colleague' });

    // Sent: the row keeps no body; neither table ever held the token in clear.
    await vi.waitUntil(
      async () => (await sql(`select 1 from identity.mail_outbox where recipient = $1 and sent_at is not null`, [email])).length === 1,
      {
        timeout: 20_000,
        interval: 50,
      },
    );
    const [row] = await sql(`select sealed, key_id, attempts from identity.mail_outbox where recipient = $1`, [email]);
    expect(row).toEqual({ sealed: null, key_id: null, attempts: 0 });
    expect(JSON.stringify(await sql('select * from identity.mail_outbox'))).not.toContain(token);
    expect(JSON.stringify(await sql('select * from identity.invites'))).not.toContain(token);
  });

  it('with the SMTP server down the invite is still 201; after a restart and the server back, the mail arrives with no new request', async () => {
    const owner = await newUser(system.api, 'owner');
    const project = await projectOf(owner);
    await smtp!.stop();
    smtp = undefined;

    const email = `later-${randomUUID().slice(0, 8)}@example.com`;
    const created = await system.api('POST', `/projects/${project.id}/invites`, { token: owner.token, body: { email, role: 'viewer' } });
    expect(created.status, created.text).toBe(201);
    // Failures and the backlog show in /metrics; the invite is pending, its mail waiting.
    await vi.waitUntil(async () => ((await metric('atrium_mail_deliveries_total', { service: 'identity', outcome: 'failed' })) ?? 0) >= 2, {
      timeout: 20_000,
      interval: 50,
    });
    expect(await metric('atrium_mail_outbox_backlog', { service: 'identity' })).toBe(1);
    const [waiting] = await sql<{ attempts: number; last_error: string; sent_at: Date | null }>(
      `select attempts, last_error, sent_at from identity.mail_outbox where recipient = $1`,
      [email],
    );
    expect(waiting!.attempts).toBeGreaterThanOrEqual(2);
    expect(waiting!.last_error).toMatch(/ECONNREFUSED/);
    expect(waiting!.sent_at).toBeNull();
    expect((await system.api('GET', `/projects/${project.id}/invites`, { token: owner.token })).body.data).toEqual([
      expect.objectContaining({ id: created.body.data.id, status: 'pending' }),
    ]);

    // A redeploy (every process anew on the same database), then the SMTP server comes back.
    await system.restart();
    smtp = await startTestSmtpServer({ port: smtpPort });
    const mail = await mailTo(smtp, email);
    expect(mail.parsed.text).toContain(created.body.data.accept_url);
    expect(smtp.received).toHaveLength(1);
    await vi.waitUntil(async () => (await metric('atrium_mail_outbox_backlog', { service: 'identity' })) === 0, {
      timeout: 20_000,
      interval: 50,
    });
    expect(await metric('atrium_mail_deliveries_total', { service: 'identity', outcome: 'sent' })).toBe(1);
  });
});
