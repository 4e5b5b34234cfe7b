import { randomUUID } from 'node:crypto';
import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Stored lower-cased: e-mail addresses compare case-insensitively. */
    email: p.string().length(254).unique(),
    name: p.string().length(100).nullable(),
    passwordHash: p.text(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p.datetime(3).onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});

export type IUser = InferEntity<typeof User>;
