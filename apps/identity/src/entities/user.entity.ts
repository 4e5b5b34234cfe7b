import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: (p) => ({
    id: columns.id(),
    /** Stored lower-cased: e-mail addresses compare case-insensitively. */
    email: p.string().length(254).unique(),
    name: p.string().length(100).nullable(),
    passwordHash: p.text(),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
});

export type IUser = InferEntity<typeof User>;
