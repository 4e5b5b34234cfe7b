import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';
import { ENVIRONMENT_TYPES, GIT_BRANCH_MAX } from '@atrium/contract';
import { columns, fieldsOf } from '@atrium/service-runtime';

export const Environment = defineEntity({
  name: 'Environment',
  tableName: 'environments',
  properties: (p) => ({
    id: columns.id(),
    /** projects' id: a plain UUID, no foreign key across services. */
    projectId: p.uuid(),
    name: p.string().length(63),
    displayName: p.string().length(100),
    type: p.enum([...ENVIRONMENT_TYPES]),
    description: p.string().length(1000).nullable(),
    color: p.string().length(7).nullable(),
    gitBranch: p.string().length(GIT_BRANCH_MAX).nullable(),
    isDefault: p.boolean().default(false),
    /**
     * Bumped by every change, in the statement that makes it (MikroORM's optimistic lock on a
     * flush; `version = version + 1` in hand-written updates): the environment's ETag.
     */
    version: p.integer().version(),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
  uniques: [{ properties: ['projectId', 'name'] }],
  indexes: [
    // A project's list, in (created_at, id) order.
    { properties: ['projectId', 'createdAt', 'id'] },
    // Exactly one default per project: the database refuses a second one, whatever the race.
    {
      name: 'environments_one_default_per_project',
      expression: (table, _columns, name) => `create unique index "${name}" on ${table.toString()} ("project_id") where "is_default"`,
    },
  ],
});

export type IEnvironment = InferEntity<typeof Environment>;

/** The environment's columns, row mapping and public fields, all from the declaration above (see docs/fields.md). */
export const environmentFields = fieldsOf(Environment);
