import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createServiceContext } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IInvite } from '../src/entities/index.js';
import { inviteMailContent, loggedInviteDelivery } from '../src/mail/invite-mail.js';

const invite = {
  id: '0b6f4d1e-7a39-4c0e-9d7f-1a2b3c4d5e6f',
  projectId: '5c1e9a7b-2d3f-4e5a-8b6c-7d8e9f0a1b2c',
  projectName: 'web-shop',
  projectDisplayName: 'Web Shop',
  email: 'new@example.com',
  role: 'admin',
  expiresAt: new Date('2030-01-08T10:00:00Z'),
} as IInvite;
const ACCEPT = 'https://api.example.com/api/v1/invites/ati_secret/accept';

function contextLoggingTo(lines: string[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return createServiceContext({
    meta: { requestId: 'r1' },
    em: {} as EntityManager,
    log: createLogger('identity', 'info', 'json', destination),
    services: () => {
      throw new Error('not used');
    },
  });
}

describe('an invite without SMTP_URL', () => {
  it('logs its link once the invite is committed, and not at all when it is rolled back', async () => {
    const committed: string[] = [];
    const ctx = contextLoggingTo(committed);
    await loggedInviteDelivery.deliver(ctx, invite, ACCEPT);
    expect(committed).toEqual([]);
    await ctx.settle(true);
    expect(committed).toHaveLength(1);
    expect(JSON.parse(committed[0]!)).toMatchObject({ inviteId: invite.id, projectId: invite.projectId, acceptUrl: ACCEPT });

    const rolledBack: string[] = [];
    const failed = contextLoggingTo(rolledBack);
    await loggedInviteDelivery.deliver(failed, invite, ACCEPT);
    await failed.settle(false);
    expect(rolledBack).toEqual([]);
  });
});

describe('the invite mail', () => {
  it('names who invites, the project and the role, and carries the accept link and where to look first', () => {
    const mail = inviteMailContent(invite, ACCEPT, 'Ada');
    expect(mail.subject).toBe('Ada invited you to Web Shop on Atrium');
    expect(mail.text).toContain('Ada invited you to join the project Web Shop (web-shop) on Atrium as admin.');
    expect(mail.text).toContain(`sign in (or register) as new@example.com and send a POST request to:\n\n${ACCEPT}\n`);
    expect(mail.text).toContain('GET https://api.example.com/api/v1/invites/ati_secret\n');
    expect(mail.text).toContain('Tue, 08 Jan 2030 10:00:00 GMT');
  });
});
