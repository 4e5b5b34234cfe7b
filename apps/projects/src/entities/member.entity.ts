import { defineEntity } from '@mikro-orm/core';
import { columns, fieldsOf } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';
import { PROJECT_ROLES } from '@atrium/contract';
import { Project } from './project.entity.js';

/** A user's role in a project. Exactly one member per project is the owner. */
export const Member = defineEntity({
  name: 'Member',
  tableName: 'members',
  properties: (p) => ({
    id: columns.id(),
    project: p.manyToOne(Project).deleteRule('cascade'),
    /** identity's user id: a plain UUID, no foreign key across services. */
    userId: p.uuid(),
    role: p.enum([...PROJECT_ROLES]),
    /**
     * The project's `created_at`, copied so a user's list walks one index in its order (see the
     * migration member_list_order). A trigger sets it on insert from the project, whatever is
     * given here (a project given by id only has none to give).
     */
    projectCreatedAt: p.datetime(3).onCreate((member) => member.project.createdAt),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
  uniques: [{ properties: ['project', 'userId'] }],
  indexes: [
    // Lists go from the user to their projects, in the list's order (created_at, id).
    { properties: ['userId', 'projectCreatedAt', 'project'] },
    // Exactly one owner per project, enforced by the database too.
    {
      name: 'members_one_owner_per_project',
      expression: (table, _columns, name) => `create unique index "${name}" on ${table.toString()} ("project_id") where "role" = 'owner'`,
    },
  ],
});

export type IMember = InferEntity<typeof Member>;

/** The member's columns and public fields, from the declaration above (see docs/fields.md). */
export const memberFields = fieldsOf(Member);
