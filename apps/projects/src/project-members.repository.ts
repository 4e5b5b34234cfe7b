import type { EntityManager } from '@mikro-orm/postgresql';
import { DEFAULT_PAGE_SIZE } from '@atrium/contract';
import type { AddMemberInput, MemberDto, ProjectRole, UpdateMemberInput, UserProfile } from '@atrium/contract';
import { afterCursor, conflict, toPage } from '@atrium/service-runtime';
import type { KnownFields, SameFields, ServiceContext, WireOf } from '@atrium/service-runtime';
import { Member, memberFields } from './entities/index.js';
import type { IMember } from './entities/index.js';

/** The member's own public fields: its columns but the list-order copy, and its project's id. */
export type MemberWire = Omit<WireOf<IMember>, 'project_created_at'> & { project_id: string };

/**
 * The entity (the storage's declaration) and the contract (the API's) agree, or this does not
 * compile: the Member object is the member's fields and identity's two, and every field of an
 * add or update body but its path parameters is one of the member's (copied with `memberFields.given`).
 */
const fieldsAgree: [
  SameFields<MemberWire & { email: string | null; name: string | null }, MemberDto>,
  KnownFields<Omit<AddMemberInput, 'id'>, WireOf<IMember>>,
  KnownFields<Omit<UpdateMemberInput, 'id' | 'memberId'>, WireOf<IMember>>,
] = [true, true, true];
void fieldsAgree;

/** A member's fields as the public API writes them (without identity's). */
export function memberWire(member: IMember): MemberWire {
  const { project_created_at: _listOrder, ...wire } = memberFields.toWire(member);
  return { ...wire, project_id: member.project.id };
}

export function toMemberDto(member: IMember, profile: UserProfile | undefined): MemberDto {
  return { ...memberWire(member), email: profile?.email ?? null, name: profile?.name ?? null };
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

/** Writes the changes to the member (a body's fields, `memberFields.given`), unless it is the owner's membership. */
export async function changeMember(em: EntityManager, member: IMember, changes: Partial<IMember>): Promise<IMember> {
  const updatedAt = new Date();
  const changed = await em.nativeUpdate(Member, { id: member.id, ...notTheOwner }, { ...changes, updatedAt });
  if (!changed) throw transferFirst();
  return Object.assign(member, changes, { updatedAt });
}

export async function deleteMember(em: EntityManager, member: IMember): Promise<void> {
  const removed = await em.nativeDelete(Member, { id: member.id, ...notTheOwner });
  if (!removed) throw transferFirst();
}
