import { randomUUID } from 'node:crypto';
import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

export const Project = defineEntity({
  name: 'Project',
  tableName: 'projects',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Unique across the installation (DESIGN §5). */
    name: p.string().length(63).unique(),
    displayName: p.string().length(100),
    description: p.string().length(1000).nullable(),
    color: p.string().length(7).nullable(),
    iconPath: p.string().length(255).nullable(),
    singleServerMode: p.boolean().default(false),
    /** Another service's id: a plain UUID, no foreign key across services. */
    defaultServerId: p.uuid().nullable(),
    autoErrorTrackingEnabled: p.boolean().default(false),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p.datetime(3).onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});

export type IProject = InferEntity<typeof Project>;
