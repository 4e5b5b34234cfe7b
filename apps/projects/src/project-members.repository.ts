import type { EntityManager } from '@mikro-orm/postgresql';
import { DEFAULT_PAGE_SIZE } from '@atrium/contract';
import type { MemberDto, ProjectRole, UserProfile } from '@atrium/contract';
import { afterCursor, conflict, toPage } from '@atrium/service-runtime';
import type { ServiceContext } from '@atrium/service-runtime';
import { Member } from './entities/index.js';
import type { IMember } from './entities/index.js';

export function toMemberDto(member: IMember, profile: UserProfile | undefined): MemberDto {
  return {
    id: member.id,
    project_id: member.project.id,
    user_id: member.userId,
    email: profile?.email ?? null,
    name: profile?.name ?? null,
    role: member.role,
    created_at: member.createdAt.toISOString(),
    updated_at: member.updatedAt.toISOString(),
  };
}

/** E-mail and name of every member given, from identity in one call (never one per member). */
export async function profilesOf(ctx: ServiceContext, userIds: string[]): Promise<Map<string, UserProfile>> {
  if (userIds.length === 0) return new Map();
  const { users } = await ctx.services.identity.users.lookup({ ids: [...new Set(userIds)] });
  return new Map(users.map((user) => [user.id, user]));
}

/** One page of a project's members in (created_at, id) order, with their profiles. */
export async function memberPageOf(ctx: ServiceContext, projectId: string, cursor?: string, limit = DEFAULT_PAGE_SIZE) {
  const rows = await ctx.em.find(
    Member,
    { project: projectId, ...afterCursor(cursor) },
    { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: limit + 1 },
  );
  const profiles = await profilesOf(
    ctx,
    rows.slice(0, limit).map((row) => row.userId),
  );
  return toPage(rows, limit, (row) => toMemberDto(row, profiles.get(row.userId)));
}

export async function findMember(em: EntityManager, projectId: string, memberId: string): Promise<IMember | null> {
  return em.findOne(Member, { id: memberId, project: projectId });
}

/**
 * The owner's membership is never changed or removed here, even if it became the owner's
 * between reading it and writing (a transfer in between): the condition is in the statement.
 */
const notTheOwner = { role: { $ne: 'owner' as ProjectRole } };
const transferFirst = () => conflict("The owner's membership changes only by transferring ownership first");

export async function setMemberRole(em: EntityManager, member: IMember, role: ProjectRole): Promise<IMember> {
  const updatedAt = new Date();
  const changed = await em.nativeUpdate(Member, { id: member.id, ...notTheOwner }, { role, updatedAt });
  if (!changed) throw transferFirst();
  member.role = role;
  member.updatedAt = updatedAt;
  return member;
}

export async function deleteMember(em: EntityManager, member: IMember): Promise<void> {
  const removed = await em.nativeDelete(Member, { id: member.id, ...notTheOwner });
  if (!removed) throw transferFirst();
}
