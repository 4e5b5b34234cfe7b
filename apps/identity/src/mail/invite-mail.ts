import type { ServiceContext, SecretCipher } from '@atrium/service-runtime';
import { User } from '../entities/index.js';
import type { IInvite } from '../entities/index.js';
import type { MailContent } from './sealed-mail.js';
import { queueMail } from './sealed-mail.js';

/** How a new invite's link reaches the invitee: `deliver` runs in the create call's transaction. */
export interface InviteDelivery {
  deliver(ctx: ServiceContext, invite: IInvite, acceptUrl: string): Promise<void>;
}

/**
 * Without SMTP_URL: the link is written to the log once the invite is committed, for the
 * operator to pass on. This log line and the create response are the only places the token
 * appears in clear.
 */
export const loggedInviteDelivery: InviteDelivery = {
  async deliver(ctx, invite, acceptUrl) {
    ctx.afterCommit(() =>
      ctx.log.info(
        { inviteId: invite.id, projectId: invite.projectId, acceptUrl },
        'invite created (no SMTP_URL): send this link to the invitee',
      ),
    );
  },
};

/**
 * With SMTP_URL: the mail is queued in the invite's own transaction (sealed, see sealed-mail.ts)
 * and sent after the commit by the mail sender, which `nudge` wakes. A failed send never fails
 * or loses the invite; the sender tries again.
 */
export function queuedInviteDelivery(cipher: SecretCipher, nudge: () => void): InviteDelivery {
  return {
    async deliver(ctx, invite, acceptUrl) {
      const inviter = invite.invitedBy ? await ctx.em.findOne(User, { id: invite.invitedBy }, { fields: ['name', 'email'] }) : null;
      queueMail(ctx.em, cipher, {
        to: invite.email,
        inviteId: invite.id,
        content: inviteMailContent(invite, acceptUrl, inviter?.name ?? inviter?.email),
      });
      ctx.afterCommit(nudge);
      ctx.log.info({ inviteId: invite.id, projectId: invite.projectId }, 'invite created: its mail is queued');
    },
  };
}

/** The invite mail, plain text: Atrium is an API, so the link is the accept operation itself. */
export function inviteMailContent(invite: IInvite, acceptUrl: string, inviter: string | undefined): MailContent {
  const project =
    invite.projectDisplayName === invite.projectName ? invite.projectName : `${invite.projectDisplayName} (${invite.projectName})`;
  return {
    subject: `${inviter ?? 'Someone'} invited you to ${invite.projectDisplayName} on Atrium`,
    text: [
      `${inviter ?? 'Someone'} invited you to join the project ${project} on Atrium as ${invite.role}.`,
      '',
      `To accept, sign in (or register) as ${invite.email} and send a POST request to:`,
      '',
      acceptUrl,
      '',
      `To see the invite first, GET ${acceptUrl.replace(/\/accept$/, '')}`,
      '',
      `It expires on ${invite.expiresAt.toUTCString()}. If you did not expect it, ignore this mail.`,
      '',
    ].join('\n'),
  };
}
