import type { InviteDto } from '@atrium/contract';
import type { IInvite } from '../entities/index.js';

/**
 * A pending invite past its expiry is `expired`: computed on read, so nothing has to run to expire it.
 * One being accepted reads as `pending` (its accept may still be retried) and no longer expires.
 */
export function inviteStatus(invite: IInvite, now = new Date()): InviteDto['status'] {
  if (invite.status === 'accepting') return 'pending';
  return invite.status === 'pending' && invite.expiresAt <= now ? 'expired' : invite.status;
}

/** The filter of invites that read as pending: pending and unexpired, or being accepted. */
export function openInvites(now = new Date()) {
  return { $or: [{ status: 'pending' as const, expiresAt: { $gt: now } }, { status: 'accepting' as const }] };
}

export function toInviteDto(invite: IInvite): InviteDto {
  return {
    id: invite.id,
    project_id: invite.projectId,
    email: invite.email,
    role: invite.role,
    status: inviteStatus(invite),
    invited_by: invite.invitedBy ?? null,
    expires_at: invite.expiresAt.toISOString(),
    created_at: invite.createdAt.toISOString(),
    accepted_at: invite.acceptedAt?.toISOString() ?? null,
  };
}

export const projectSummaryOf = (invite: IInvite) => ({
  id: invite.projectId,
  name: invite.projectName,
  display_name: invite.projectDisplayName,
});
