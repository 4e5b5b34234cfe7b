import { defineEntity } from '@mikro-orm/core';
import { columns, fieldsOf } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';

export const Project = defineEntity({
  name: 'Project',
  tableName: 'projects',
  properties: (p) => ({
    id: columns.id(),
    /** Unique across the installation (docs/api-contract.md, Projects). */
    name: p.string().length(63).unique(),
    displayName: p.string().length(100),
    description: p.string().length(1000).nullable(),
    color: p.string().length(7).nullable(),
    iconPath: p.string().length(255).nullable(),
    singleServerMode: p.boolean().default(false),
    /** Another service's id: a plain UUID, no foreign key across services. */
    defaultServerId: p.uuid().nullable(),
    autoErrorTrackingEnabled: p.boolean().default(false),
    /**
     * Bumped by every change, in the statement that makes it (MikroORM's optimistic lock on a
     * flush; `version = version + 1` in hand-written updates): the project's ETag.
     */
    version: p.integer().version(),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
});

export type IProject = InferEntity<typeof Project>;

/** The project's columns, row mapping and public fields, all from the declaration above (see docs/fields.md). */
export const projectFields = fieldsOf(Project);
