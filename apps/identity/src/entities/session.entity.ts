import { randomUUID } from 'node:crypto';
import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.js';

/** A sign-in: only the SHA-256 of its bearer token is stored. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: p.manyToOne(User).deleteRule('cascade').index(),
    tokenHash: p.string().length(64).unique(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    expiresAt: p.datetime(3),
    lastUsedAt: p.datetime(3).nullable(),
  }),
});

export type ISession = InferEntity<typeof Session>;
