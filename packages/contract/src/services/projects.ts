import { z } from 'zod';
import {
  createProjectInput,
  deleteProjectInput,
  getProjectInput,
  listProjectsInput,
  projectPage,
  projectSchema,
  updateProjectInput,
} from '../schemas/project.js';
import { uuidSchema } from '../schemas/common.js';
import { listProjectEventsInput, projectEventPage } from '../schemas/audit.js';
import { authorizeIconInput, deleteIconInput, iconUploadForm, setIconInput, ICON_MAX_BYTES } from '../schemas/icon.js';
import { projectContextInput, projectContextOutput } from '../schemas/invite.js';
import {
  addMemberInput,
  ensureMemberInput,
  listMembersInput,
  memberPage,
  memberSchema,
  membershipSchema,
  removeMemberInput,
  transferOwnershipInput,
  updateMemberInput,
} from '../schemas/member.js';
import { projectRoleSchema } from '../roles.js';
import { defineService, mutation, query } from '../operation.js';
import { healthOperations } from './health.js';
import { webhookOperations } from './webhooks.js';

export const projectsContract = defineService('projects', {
  projects: {
    list: query({
      input: listProjectsInput,
      output: projectPage,
      list: true,
      // A key limited to some projects lists those only (projects.repository.ts).
      scopedKeys: 'filtered',
      rest: {
        method: 'GET',
        path: '/projects',
        status: 200,
        auth: 'user',
        summary: 'List the projects you are a member of',
        description:
          'The projects you are a member of, whatever your role, a page at a time in creation order. Any signed-in user; with an API key limited to some projects (`project_ids`), only those of them you are still a member of.',
        tags: ['Projects'],
      },
    }),
    create: mutation({
      input: createProjectInput,
      output: projectSchema,
      scopedKeys: 'all-projects',
      rest: {
        method: 'POST',
        path: '/projects',
        status: 201,
        auth: 'user',
        summary: 'Create a project (you become its owner)',
        description:
          'Any signed-in user; you become the owner. `name` is unique across the installation; `display_name` defaults to `name`. The default environment `production` already exists when this answers. Takes an `Idempotency-Key`.',
        tags: ['Projects'],
        errors: ['CONFLICT', 'FORBIDDEN'],
        errorDescriptions: {
          CONFLICT: 'A project with this `name` already exists (names are unique across the installation)',
          FORBIDDEN: 'The request carries an API key limited to some projects (`project_ids`) or read-only, which may not create projects',
        },
      },
    }),
    get: query({
      input: getProjectInput,
      output: projectSchema,
      access: { action: 'project.read', projectId: 'id' },
      rest: {
        method: 'GET',
        path: '/projects/{id}',
        status: 200,
        auth: 'user',
        summary: 'Get a project',
        conditional: 'read',
        description: 'Any member of the project (viewer and above); to anyone else the project does not exist (404).',
        tags: ['Projects'],
      },
    }),
    update: mutation({
      input: updateProjectInput,
      output: projectSchema,
      access: { action: 'project.update', projectId: 'id' },
      rest: {
        method: 'PUT',
        path: '/projects/{id}',
        status: 200,
        auth: 'user',
        summary: 'Update a project',
        conditional: 'write',
        description:
          'Partial: only the fields present change; `null` clears a nullable field (`display_name` cannot be null). A new `name` must still be unique across the installation. Needs admin or owner.',
        tags: ['Projects'],
        errors: ['CONFLICT'],
        errorDescriptions: { CONFLICT: 'Another project already has this `name`' },
      },
    }),
    delete: mutation({
      input: deleteProjectInput,
      output: z.void(),
      access: { action: 'project.delete', projectId: 'id' },
      rest: {
        method: 'DELETE',
        path: '/projects/{id}',
        status: 204,
        auth: 'user',
        summary: 'Delete a project and all its resources',
        conditional: 'write',
        description:
          'Owner only. The project disappears at once for every reader (everything under it then answers 404); its environments, variables, invites and icon are removed by the owning services.',
        tags: ['Projects'],
      },
    }),
    transfer: mutation({
      input: transferOwnershipInput,
      output: memberPage,
      list: true,
      access: { action: 'project.transfer', projectId: 'id' },
      rest: {
        method: 'POST',
        path: '/projects/{id}/transfer',
        status: 200,
        auth: 'user',
        summary: 'Transfer ownership to another member',
        conditional: 'write',
        description:
          'Owner only. The new owner must already be a member (409 otherwise); you become admin. Atomic: the project has exactly one owner at every instant. Answers the first page of the member list.',
        tags: ['Members'],
        errors: ['CONFLICT'],
        errorDescriptions: {
          FORBIDDEN: 'You are not the owner of the project (a concurrent transfer may just have made someone else owner)',
          CONFLICT: 'The new owner is not a member of the project, or is you',
        },
      },
    }),
  },
  events: {
    list: query({
      input: listProjectEventsInput,
      output: projectEventPage,
      list: true,
      access: { action: 'project.audit', projectId: 'id' },
      rest: {
        method: 'GET',
        path: '/projects/{id}/events',
        status: 200,
        auth: 'user',
        summary: "The project's audit trail",
        description:
          'Admin or owner. Every change to the project, its members, invites, environments and variables (key names only), newest first: what happened, who did it, when, and from which request. `type` keeps one kind of event.',
        tags: ['Projects'],
      },
    }),
  },
  members: {
    list: query({
      input: listMembersInput,
      output: memberPage,
      list: true,
      access: { action: 'members.read', projectId: 'id' },
      rest: {
        method: 'GET',
        path: '/projects/{id}/members',
        status: 200,
        auth: 'user',
        summary: "List a project's members",
        description:
          "The project's members in joining order, a page at a time, each with the user's e-mail and name. Any member (viewer and above).",
        tags: ['Members'],
      },
    }),
    add: mutation({
      input: addMemberInput,
      output: memberSchema,
      access: { action: 'members.manage', projectId: 'id' },
      rest: {
        method: 'POST',
        path: '/projects/{id}/members',
        status: 201,
        auth: 'user',
        summary: 'Add a user to the project',
        description:
          'Admin or owner. `owner` cannot be granted (400): ownership moves by transfer. 404 when the user does not exist, 409 when they are already a member. Takes an `Idempotency-Key`.',
        tags: ['Members'],
        errors: ['NOT_FOUND', 'CONFLICT'],
        errorDescriptions: {
          NOT_FOUND: 'The project does not exist or you are not a member of it, or no user has this `user_id`',
          CONFLICT: 'The user is already a member of the project',
        },
      },
    }),
    update: mutation({
      input: updateMemberInput,
      output: memberSchema,
      access: { action: 'members.manage', projectId: 'id' },
      rest: {
        method: 'PUT',
        path: '/projects/{id}/members/{memberId}',
        status: 200,
        auth: 'user',
        summary: "Change a member's role",
        description:
          "Admin or owner. `role` is `admin`, `member` or `viewer` (`owner` is never granted: 400). The owner's role changes only by transfer (409 for the owner, 403 for an admin).",
        tags: ['Members'],
        errors: ['NOT_FOUND', 'CONFLICT'],
        errorDescriptions: {
          FORBIDDEN: "Your role is below admin, or you are an admin and this is the owner's membership",
          NOT_FOUND: 'The project does not exist or you are not a member of it, or the project has no member with this id',
          CONFLICT: "This is the owner's membership and you are the owner: ownership moves only by transfer",
        },
      },
    }),
    delete: mutation({
      input: removeMemberInput,
      output: z.void(),
      // Every member may remove their own membership (leave); removing someone else needs `members.manage`.
      access: { action: 'project.leave', projectId: 'id' },
      rest: {
        method: 'DELETE',
        path: '/projects/{id}/members/{memberId}',
        status: 204,
        auth: 'user',
        summary: 'Remove a member, or leave the project',
        description:
          "Removing yourself is leaving, open to every member but the owner (409: transfer first). Removing someone else needs admin or owner; the owner's membership cannot be removed.",
        tags: ['Members'],
        errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
        errorDescriptions: {
          FORBIDDEN: "The membership is someone else's and your role is below admin, or it is the owner's (never removed)",
          NOT_FOUND: 'The project does not exist or you are not a member of it, or the project has no member with this id',
          CONFLICT: 'You are the owner and this is your own membership: transfer ownership before leaving',
        },
      },
    }),
  },
  icons: {
    /**
     * Records a stored icon as the project's; the previous one's object is removed after the
     * commit. The gateway stores the bytes first (after `icons.authorize`), then calls this.
     */
    set: mutation({
      input: setIconInput,
      output: projectSchema,
      access: { action: 'project.icon', projectId: 'id' },
      rest: {
        method: 'POST',
        path: '/projects/{id}/icon',
        status: 200,
        auth: 'user',
        summary: 'Upload the project icon',
        conditional: 'write',
        description:
          `A \`multipart/form-data\` body with one file field \`file\`: PNG, JPEG, WebP or GIF, recognised by its bytes (not its name or declared type), ` +
          `at most ${ICON_MAX_BYTES} bytes (413 above; 415 for any other type, SVG included). Replaces the previous icon. ` +
          'Answers the updated project; `icon_path` is where the gateway serves the file. Needs admin or owner.',
        tags: ['Projects'],
        multipart: iconUploadForm,
      },
    }),
    delete: mutation({
      input: deleteIconInput,
      output: z.void(),
      access: { action: 'project.icon', projectId: 'id' },
      rest: {
        method: 'DELETE',
        path: '/projects/{id}/icon',
        status: 204,
        auth: 'user',
        summary: 'Delete the project icon',
        conditional: 'write',
        description: 'Clears `icon_path` and removes the file; a project without an icon answers 204 too. Needs admin or owner.',
        tags: ['Projects'],
        errorDescriptions: { SERVICE_UNAVAILABLE: 'A service did not answer in time or could not be reached; safe to retry' },
      },
    }),
    /** Checked before an upload's bytes are stored, so a caller who could not set the icon never writes to the bucket. */
    authorize: query({
      input: authorizeIconInput,
      output: z.void(),
      access: { action: 'project.icon', projectId: 'id' },
      internal: { callers: ['gateway'], auth: 'user' },
    }),
  },
  memberships: {
    /** The calling user's role in a project (null: not a member), for services that act on a project's resources. */
    role: query({
      input: z.strictObject({ project_id: uuidSchema }),
      output: z.object({ role: projectRoleSchema.nullable() }),
      internal: { callers: ['environments'], auth: 'user' },
    }),
    /** Identity inviting to a project: the caller's role, the project's names, and whether the invitee is a member already. */
    context: query({ input: projectContextInput, output: projectContextOutput, internal: { callers: ['identity'], auth: 'user' } }),
    /** Identity accepting an invite: adds the membership unless the user already has one (idempotent, one row by a constraint). */
    ensure: mutation({ input: ensureMemberInput, output: membershipSchema, internal: { callers: ['identity'], auth: 'user' } }),
  },
  webhooks: webhookOperations,
  health: healthOperations,
});
