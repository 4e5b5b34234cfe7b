import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';
import { GRANTABLE_ROLES } from '@atrium/contract';

/**
 * Stored statuses; `expired` is computed (pending past `expiresAt`), so nothing must run to expire
 * an invite. `accepting`: an accept has claimed the invite and asked projects for the membership
 * (see `acceptInvite`); it reads as `pending`, can no longer be cancelled, and ends `accepted`.
 */
export const STORED_INVITE_STATUSES = ['pending', 'accepting', 'accepted', 'cancelled'] as const;

/**
 * An invitation to a project, by e-mail. Only the SHA-256 of its token is stored. The project's
 * names are copied in at creation so the public lookup needs no call to projects.
 */
export const Invite = defineEntity({
  name: 'Invite',
  tableName: 'invites',
  properties: (p) => ({
    id: columns.id(),
    /** projects' id: a plain UUID, no foreign key across services. */
    projectId: p.uuid(),
    projectName: p.string().length(63),
    projectDisplayName: p.string().length(100),
    /** Lower-cased, as every e-mail address here. */
    email: p.string().length(254),
    role: p.enum([...GRANTABLE_ROLES]),
    status: p.enum([...STORED_INVITE_STATUSES]),
    tokenHash: p.string().length(64).unique(),
    invitedBy: p.uuid().nullable(),
    expiresAt: p.datetime(3),
    acceptedAt: p.datetime(3).nullable(),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
  indexes: [
    // The project's list, and the invitee's.
    { properties: ['projectId', 'createdAt', 'id'] },
    { properties: ['email', 'createdAt', 'id'] },
    // One pending invite per e-mail and project, whatever the races.
    {
      name: 'invites_one_pending_per_email',
      expression: (table, _columns, name) =>
        `create unique index "${name}" on ${table.toString()} ("project_id", "email") where "status" = 'pending'`,
    },
  ],
});

export type IInvite = InferEntity<typeof Invite>;
