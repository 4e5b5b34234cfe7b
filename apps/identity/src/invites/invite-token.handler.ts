import { DomainError, afterCursor, callerId, conflict, notFound, toPage } from '@atrium/service-runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invite, User } from '../entities/index.js';
import type { IInvite } from '../entities/index.js';
import { IDENTITY_SCHEMA } from '../db.js';
import type { Handler } from '../deps.js';
import { credentialHash } from '../security/tokens.js';
import { commitSoFar } from '../transactions.js';
import { inviteStatus, openInvites, projectSummaryOf, toInviteDto } from './invite.dto.js';

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
 * Whether a failed call surely never reached projects: no instance took any copy of it, or it was
 * never sent, or projects answered it with a refusal. After a timeout or a lost connection it may
 * have added the membership — we cannot know.
 */
function surelyAddedNothing(error: unknown): boolean {
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  if (code !== 'SERVICE_UNAVAILABLE') return true;
  return reason === 'no-responders' || reason === 'deadline-passed';
}

const ACCEPTED = 'This invite has already been accepted';

/**
 * The signed-in invitee joins the project. Membership lives in projects, so accept and cancel can
 * never share one transaction; instead the invite is *claimed* before projects is asked:
 *
 * 1. one conditional update, committed on its own, moves it from pending (and unexpired) to
 *    `accepting` — or re-claims an `accepting` one, so a retried accept can finish;
 * 2. projects adds the membership (`memberships.ensure`, idempotent: one membership however many
 *    accepts race);
 * 3. a conditional update `accepting → accepted` that one accept wins records `invite_accepted`.
 *
 * Cancelling is a conditional update from `pending` only, so it and the claim exclude each other
 * in the database: a cancelled invite was never claimed, hence never made a membership. If the
 * call to projects surely added nothing (no instance, or a refusal) the claim is released back to
 * pending and the caller gets the error (503 to retry); if its outcome is unknown (a timeout) the
 * invite stays `accepting` — not cancellable, read as pending — until a retried accept completes it.
 */
export const acceptInvite = (): Handler<'invites', 'accept'> => async (input, ctx) => {
  const invite = await inviteByToken(ctx.em, input.token);
  const user = await ctx.em.findOne(User, { id: callerId(ctx) });
  if (!user) throw new DomainError('UNAUTHORIZED', 'Authentication required');
  if (invite.status === 'accepted') throw conflict(ACCEPTED);
  const status = inviteStatus(invite);
  if (status !== 'pending') throw new DomainError('GONE', `This invite is ${status}`);
  if (user.email !== invite.email) throw new DomainError('FORBIDDEN', 'This invite was sent to another e-mail address');

  // Each claim gets a later updated_at than the one before: it tells this claim from a later one.
  const [claim] = await ctx.em.execute<{ claimed_at: string }[]>(
    `update "${IDENTITY_SCHEMA}"."invites" set status = 'accepting', updated_at = greatest(now(), updated_at + interval '1 millisecond')
     where id = ? and (status = 'accepting' or (status = 'pending' and expires_at > now()))
     returning updated_at as claimed_at`,
    [invite.id],
  );
  if (!claim) {
    const current = await ctx.em.findOne(Invite, { id: invite.id }, { refresh: true });
    if (current?.status === 'accepted') throw conflict(ACCEPTED);
    throw new DomainError('GONE', `This invite is ${current ? inviteStatus(current) : 'cancelled'}`);
  }
  await commitSoFar(ctx);

  let membership: Awaited<ReturnType<typeof ctx.services.projects.memberships.ensure>>;
  try {
    membership = await ctx.services.projects.memberships.ensure({ project_id: invite.projectId, role: invite.role });
  } catch (error) {
    if (surelyAddedNothing(error)) {
      // After this call's transaction is rolled back: released only if no later accept re-claimed it.
      ctx.afterTransaction(async () => {
        await ctx.em.execute(
          `update "${IDENTITY_SCHEMA}"."invites" set status = 'pending', updated_at = now() where id = ? and status = 'accepting' and updated_at = ?`,
          [invite.id, claim.claimed_at],
        );
      });
    }
    throw error;
  }
  const now = new Date();
  const accepted = await ctx.em.nativeUpdate(
    Invite,
    { id: invite.id, status: 'accepting' },
    { status: 'accepted', acceptedAt: now, updatedAt: now },
  );
  if (!accepted) throw conflict(ACCEPTED);
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
    { email: user.email, $and: [openInvites(), afterCursor(input.cursor)] },
    { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, (invite) => ({ ...toInviteDto(invite), project: projectSummaryOf(invite) }));
};
