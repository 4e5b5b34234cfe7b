import { DomainError, afterCursor, callerId, conflict, notFound, toPage } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invite, User } from '../entities/index.js';
import type { IInvite } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { credentialHash } from '../security/tokens.js';
import { inviteStatus, projectSummaryOf, toInviteDto } from './invite.dto.js';

/**
 * The invite a token opens. Any string is hashed and looked up the same way, so an unknown and a
 * malformed token cost the same and answer the same 404.
 */
async function inviteByToken(em: EntityManager, token: string): Promise<IInvite> {
  const invite = await em.findOne(Invite, { tokenHash: credentialHash(token) });
  if (!invite) throw notFound('Invite');
  return invite;
}

/** Public: what an invitee needs to decide, and nothing more. */
export const getInvite = (): Handler<'invites', 'get'> => async (input, ctx) => {
  const invite = await inviteByToken(ctx.em, input.token);
  const inviter = invite.invitedBy ? await ctx.em.findOne(User, { id: invite.invitedBy }, { fields: ['name'] }) : null;
  return {
    id: invite.id,
    project: projectSummaryOf(invite),
    email: invite.email,
    role: invite.role,
    status: inviteStatus(invite),
    expires_at: invite.expiresAt.toISOString(),
    invited_by: { name: inviter?.name ?? null },
  };
};

/**
 * The signed-in invitee joins the project. Projects adds the membership through an idempotent
 * internal operation first (one membership however many accepts race, by its unique
 * constraint); only then is the invite marked accepted, by a conditional update that one accept
 * wins. If projects cannot be reached the invite stays pending and the caller gets 503 to retry.
 */
export const acceptInvite = (): Handler<'invites', 'accept'> => async (input, ctx) => {
  const invite = await inviteByToken(ctx.em, input.token);
  const user = await ctx.em.findOne(User, { id: callerId(ctx) });
  if (!user) throw new DomainError('UNAUTHORIZED', 'Authentication required');
  const status = inviteStatus(invite);
  if (status === 'accepted') throw conflict('This invite has already been accepted');
  if (status !== 'pending') throw new DomainError('GONE', `This invite is ${status}`);
  if (user.email !== invite.email) throw new DomainError('FORBIDDEN', 'This invite was sent to another e-mail address');

  const membership = await ctx.services.projects.memberships.ensure({ project_id: invite.projectId, role: invite.role });
  const now = new Date();
  const accepted = await ctx.em.nativeUpdate(
    Invite,
    { id: invite.id, status: 'pending' },
    { status: 'accepted', acceptedAt: now, updatedAt: now },
  );
  if (!accepted) throw conflict('This invite has already been accepted');
  ctx.events.record('identity.v1.invite_accepted', {
    project_id: invite.projectId,
    invite_id: invite.id,
    email: invite.email,
    user_id: user.id,
  });
  const { created: _created, ...member } = membership;
  return { ...member, email: user.email, name: user.name ?? null };
};

/** The caller's pending, unexpired invites, with their project's names. */
export const myInvites = (): Handler<'invites', 'mine'> => async (input, ctx) => {
  const user = await ctx.em.findOne(User, { id: callerId(ctx) }, { fields: ['email'] });
  if (!user) return { data: [], next_cursor: null };
  const rows = await ctx.em.find(
    Invite,
    { email: user.email, status: 'pending', expiresAt: { $gt: new Date() }, ...afterCursor(input.cursor) },
    { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, (invite) => ({ ...toInviteDto(invite), project: projectSummaryOf(invite) }));
};
