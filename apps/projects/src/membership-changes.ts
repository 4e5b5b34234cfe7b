import { MEMBERSHIP_CHANGED_SUBJECT } from '@atrium/contract';
import type { MembershipChanged } from '@atrium/contract';
import type { ServiceContext } from '@atrium/service-runtime';

/**
 * Tells every service caching roles (environments) that who may do what in a project changed:
 * one user's membership (`userId`), or everyone's (no `userId`: a transfer, a deletion). Sent
 * once the handler succeeded, after its commit; every membership write goes through here.
 */
export function announceMembershipChange(ctx: ServiceContext, projectId: string, userId?: string): void {
  const change: MembershipChanged = userId ? { project_id: projectId, user_id: userId } : { project_id: projectId };
  ctx.events.notify(MEMBERSHIP_CHANGED_SUBJECT, change);
}
