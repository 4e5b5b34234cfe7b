import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';
import type { InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.js';

/** A sign-in: only the SHA-256 of its bearer token is stored. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: (p) => ({
    id: columns.id(),
    user: p.manyToOne(User).deleteRule('cascade').index(),
    tokenHash: p.string().length(64).unique(),
    createdAt: columns.createdAt(),
    expiresAt: p.datetime(3),
    lastUsedAt: p.datetime(3).nullable(),
  }),
});

export type ISession = InferEntity<typeof Session>;
