import { z } from 'zod';
import { PROJECT_ROLES, projectRoleSchema } from '../roles.js';
import { listQueryShape, pageOf, timestampSchema, uuidSchema } from './common.js';
import { bodyShape, readShape } from './fields.js';
import type { FieldDeclarations } from './fields.js';
import { ifMatchShape } from './conditional.js';
import { projectIdParams } from './project.js';

/** Roles that can be granted; `owner` moves only by transfer (POST /projects/{id}/transfer). */
export const GRANTABLE_ROLES = PROJECT_ROLES.filter((role) => role !== 'owner') as ['admin', 'member', 'viewer'];

export const grantableRoleSchema = z
  .enum(GRANTABLE_ROLES, { error: 'must be admin, member or viewer (ownership moves only by transfer)' })
  .meta({ description: 'admin, member or viewer; `owner` is never granted, it moves by transfer', example: 'member' });

/**
 * Every member field, declared once (see fields.ts): the Member object and the bodies that add
 * or change a membership are built from these entries. `email` and `name` are identity's.
 */
const MEMBER_FIELDS = {
  project_id: { read: uuidSchema.meta({ description: 'The project' }) },
  user_id: { read: uuidSchema.meta({ description: 'The member user' }) },
  email: { read: z.string().nullable().meta({ description: "The user's e-mail address (null if the user no longer exists)" }) },
  name: { read: z.string().nullable().meta({ description: "The user's name, if they gave one" }) },
  role: { read: projectRoleSchema.meta({ description: 'The role in this project' }), write: grantableRoleSchema },
} satisfies FieldDeclarations;

export const memberSchema = z
  .object({
    id: uuidSchema.meta({ description: 'The membership id (`:memberId` in member routes)' }),
    ...readShape(MEMBER_FIELDS),
    created_at: timestampSchema.meta({ description: 'When the user joined the project' }),
    updated_at: timestampSchema.meta({ description: 'When the role last changed' }),
  })
  .meta({ id: 'Member' });

export type MemberDto = z.infer<typeof memberSchema>;
export const memberPage = pageOf(memberSchema);

const memberIdParams = { ...projectIdParams, memberId: uuidSchema.meta({ description: "Membership id (the member object's `id`)" }) };

export const listMembersInput = z.strictObject({ ...projectIdParams, ...listQueryShape });

export const addMemberInput = z
  .strictObject({
    ...projectIdParams,
    user_id: uuidSchema.meta({ description: 'The user to add' }),
    ...bodyShape(MEMBER_FIELDS, ['role']),
  })
  .meta({ examples: [{ user_id: '550e8400-e29b-41d4-a716-446655440000', role: 'member' }] });

export type AddMemberInput = z.infer<typeof addMemberInput>;

export const updateMemberInput = z.strictObject({ ...memberIdParams, ...bodyShape(MEMBER_FIELDS, ['role']) });
export type UpdateMemberInput = z.infer<typeof updateMemberInput>;
export const removeMemberInput = z.strictObject(memberIdParams);

export const transferOwnershipInput = z
  .strictObject({
    ...projectIdParams,
    new_owner_id: uuidSchema.meta({ description: 'The user id of an existing member, who becomes the owner' }),
    ...ifMatchShape,
  })
  .meta({ examples: [{ new_owner_id: '550e8400-e29b-41d4-a716-446655440000' }] });

/**
 * Internal (identity → projects, accepting an invite): make the calling user a member unless
 * they are one. Always the user the call acts for, never one named in the input.
 */
export const ensureMemberInput = z.strictObject({
  project_id: uuidSchema,
  role: grantableRoleSchema,
});

/** A membership as projects stores it (the member object without identity's fields). */
export const membershipSchema = memberSchema.omit({ email: true, name: true }).extend({
  created: z.boolean().meta({ description: 'false when the user was already a member: their role is left as it was' }),
});
