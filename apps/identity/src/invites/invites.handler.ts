import { randomUUID } from 'node:crypto';
import { afterCursor, authorizeProjectRole, callerId, conflict, notFound, toPage } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA } from '../db.js';
import { Invite, User } from '../entities/index.js';
import type { Handler, IdentityDeps } from '../deps.js';
import { credentialHash, newCredential } from '../security/tokens.js';
import { inviteStatus, openInvites, toInviteDto } from './invite.dto.js';
import { fetchProjectWithCallerRole } from './project-access.js';

export const INVITE_TOKEN_PREFIX = 'ati_';

/** Pending and unexpired invites of a project, oldest first (admin, owner). */
export const listInvites = (): Handler<'invites', 'list'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await fetchProjectWithCallerRole(ctx, input.id));
  const rows = await ctx.em.find(
    Invite,
    { projectId: input.id, $and: [openInvites(), afterCursor(input.cursor)] },
    { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, toInviteDto);
};

/**
 * Admin or owner. One pending invite per e-mail and project, by a partial unique index (an
 * expired one is closed first so it does not block a new one); an e-mail that is already a
 * member's is refused too. The token is 32 random bytes; only its SHA-256 is stored.
 */
export const createInvite =
  (deps: IdentityDeps): Handler<'invites', 'create'> =>
  async (input, ctx) => {
    const { project } = authorizeProjectRole(ctx, await fetchProjectWithCallerRole(ctx, input.id));
    const invitee = await ctx.em.findOne(User, { email: input.email }, { fields: ['id'] });
    if (invitee) {
      const { user_role } = await ctx.services.projects.memberships.context({ project_id: input.id, user_id: invitee.id });
      if (user_role) throw conflict('That e-mail belongs to a member of this project already');
    }
    const now = new Date();
    await ctx.em.nativeUpdate(
      Invite,
      { projectId: input.id, email: input.email, status: 'pending', expiresAt: { $lte: now } },
      { status: 'cancelled', updatedAt: now },
    );
    const token = newCredential(INVITE_TOKEN_PREFIX);
    // The partial unique index is the one check of a pending invite, races included — answered by
    // `on conflict do nothing`, not by an error: PostgreSQL logs a failed statement with its
    // values, and this one carries the token's hash.
    const id = randomUUID();
    const inserted = await ctx.em.execute<{ id: string }[]>(
      `insert into "${IDENTITY_SCHEMA}"."invites" (id, project_id, project_name, project_display_name, email, role, status,
         token_hash, invited_by, expires_at, accepted_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, null, ?, ?)
       on conflict do nothing returning id`,
      [
        id,
        input.id,
        project.name,
        project.display_name,
        input.email,
        input.role,
        credentialHash(token),
        callerId(ctx),
        new Date(now.getTime() + deps.inviteTtlMs),
        now,
        now,
      ],
    );
    if (inserted.length === 0) throw conflict('That e-mail already has a pending invite to this project');
    const invite = await ctx.em.findOneOrFail(Invite, { id });
    ctx.events.record('identity.v1.invite_created', {
      project_id: invite.projectId,
      invite_id: invite.id,
      email: invite.email,
      role: invite.role,
    });
    const acceptUrl = deps.acceptUrl(token);
    await deps.inviteDelivery.deliver(ctx, invite, acceptUrl);
    return { ...toInviteDto(invite), token, accept_url: acceptUrl };
  };

/**
 * Admin or owner: a pending invite becomes cancelled (410 for its link from then on). One
 * conditional update from `pending` only: an invite an accept has claimed (`accepting`, see
 * acceptInvite) cannot be cancelled any more, so a cancelled invite never made a membership.
 */
export const cancelInvite = (): Handler<'invites', 'delete'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await fetchProjectWithCallerRole(ctx, input.id));
  const invite = await ctx.em.findOne(Invite, { id: input.inviteId, projectId: input.id });
  if (!invite) throw notFound('Invite');
  const cancelled = await ctx.em.nativeUpdate(Invite, { id: invite.id, status: 'pending' }, { status: 'cancelled', updatedAt: new Date() });
  if (!cancelled) {
    const current = await ctx.em.findOne(Invite, { id: invite.id }, { refresh: true });
    if (current?.status === 'accepting') throw conflict('This invite is being accepted');
    throw conflict(`This invite is already ${current ? inviteStatus(current) : 'cancelled'}`);
  }
  ctx.events.record('identity.v1.invite_cancelled', { project_id: invite.projectId, invite_id: invite.id, email: invite.email });
};
