import { z } from 'zod';
import { projectRoleSchema } from '../roles.js';
import { emailSchema } from './auth.js';
import { listQueryShape, pageOf, timestampSchema, uuidSchema } from './common.js';
import { grantableRoleSchema } from './member.js';
import { projectIdParams } from './project.js';

export const INVITE_STATUSES = ['pending', 'accepted', 'cancelled', 'expired'] as const;

export const inviteSchema = z
  .object({
    id: uuidSchema.meta({ description: 'The invite id (`:inviteId`)' }),
    project_id: uuidSchema.meta({ description: 'The project the invite is for' }),
    email: z.string().meta({ description: 'The invited e-mail address (lower-cased)' }),
    role: projectRoleSchema.meta({ description: 'The role the invitee gets on accepting' }),
    status: z.enum(INVITE_STATUSES).meta({ description: '`expired` once `expires_at` has passed while pending' }),
    invited_by: uuidSchema.nullable().meta({ description: 'The user who sent the invite' }),
    expires_at: timestampSchema.meta({ description: 'After this the invite can no longer be accepted' }),
    created_at: timestampSchema.meta({ description: 'When the invite was sent' }),
    accepted_at: timestampSchema.nullable().meta({ description: 'When it was accepted, if it was' }),
  })
  .meta({ id: 'Invite' });

export type InviteDto = z.infer<typeof inviteSchema>;

export const createdInviteSchema = inviteSchema
  .extend({
    token: z.string().meta({ description: 'The secret of the invite, shown only here' }),
    accept_url: z.string().meta({ description: 'The link the invitee follows (carries the token), shown only here' }),
  })
  .meta({ id: 'CreatedInvite' });

const projectSummary = z.object({
  id: uuidSchema.meta({ description: 'Project id' }),
  name: z.string().meta({ description: 'Project name' }),
  display_name: z.string().meta({ description: 'Project display name' }),
});

/** What a holder of the token sees, signed in or not: only what an invitee needs. */
export const invitePreviewSchema = z
  .object({
    id: uuidSchema.meta({ description: 'The invite id' }),
    project: projectSummary.meta({ description: 'The project the invite is for' }),
    email: z.string().meta({ description: 'The invited e-mail address' }),
    role: projectRoleSchema.meta({ description: 'The role offered' }),
    status: z.enum(INVITE_STATUSES).meta({ description: 'pending, accepted, cancelled or expired' }),
    expires_at: timestampSchema.meta({ description: 'After this the invite can no longer be accepted' }),
    invited_by: z.object({ name: z.string().nullable().meta({ description: "The inviter's name" }) }).meta({ description: 'Who sent it' }),
  })
  .meta({ id: 'InvitePreview' });

export const myInviteSchema = inviteSchema
  .extend({ project: projectSummary.meta({ description: 'The project the invite is for' }) })
  .meta({ id: 'MyInvite' });

export const inviteTokenParams = {
  // No length limit: any string is hashed and looked up, so a token of the wrong length is a 404
  // like every other wrong token, never a 400 telling a guesser what a real one looks like.
  // The HTTP request line (16 KiB) and the bus's message size bound it.
  token: z.string().min(1).meta({ description: 'The token from the invite link' }),
};

export const createInviteInput = z
  .strictObject({ ...projectIdParams, email: emailSchema.meta({ description: 'Who to invite' }), role: grantableRoleSchema })
  .meta({ examples: [{ email: 'colleague@example.com', role: 'member' }] });
export const listInvitesInput = z.strictObject({ ...projectIdParams, ...listQueryShape });
export const cancelInviteInput = z.strictObject({ ...projectIdParams, inviteId: uuidSchema.meta({ description: 'Invite id' }) });
export const getInviteInput = z.strictObject(inviteTokenParams);
export const acceptInviteInput = z.strictObject(inviteTokenParams);
export const myInvitesInput = z.strictObject(listQueryShape);

export const invitePage = pageOf(inviteSchema);
export const myInvitePage = pageOf(myInviteSchema);

/** Internal (identity → projects): what identity needs to know of a project to invite to it. */
export const projectContextInput = z.strictObject({
  project_id: uuidSchema,
  /** Also say this user's role (is the invitee already a member?). */
  user_id: uuidSchema.optional(),
});
export const projectContextOutput = z.object({
  /** The calling user's role; null when not a member (or no such project). */
  role: projectRoleSchema.nullable(),
  project: projectSummary.nullable(),
  user_role: projectRoleSchema.nullable(),
});
