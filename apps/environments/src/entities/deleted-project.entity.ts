import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';

/** A project whose delete has cascaded here: no environment may be created in it afterwards (see deleted-projects.repository.ts). */
export const DeletedProject = defineEntity({
  name: 'DeletedProject',
  tableName: 'deleted_projects',
  properties: (p) => ({
    projectId: p.uuid().primary(),
    deletedAt: columns.createdAt(),
  }),
});
