import { defineEntity } from '@mikro-orm/core';
import { columns } from '@atrium/service-runtime';
import { API_KEY_ACCESS } from '@atrium/contract';
import type { InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.js';

/** A long-lived credential for CI and scripts: only the SHA-256 of the key is stored. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: (p) => ({
    id: columns.id(),
    user: p.manyToOne(User).deleteRule('cascade'),
    name: p.string().length(100),
    prefix: p.string().length(16),
    keyHash: p.string().length(64).unique(),
    createdAt: columns.createdAt(),
    lastUsedAt: p.datetime(3).nullable(),
    expiresAt: p.datetime(3).nullable(),
    /** The only projects the key works on, or null: all of its owner's (see service-runtime's scope.ts). */
    projectIds: p.array<string>().columnType('uuid[]').nullable(),
    /** `read`: the key is refused every write. */
    access: p.enum([...API_KEY_ACCESS]).default('write'),
  }),
  indexes: [{ properties: ['user', 'createdAt', 'id'] }],
});

export type IApiKey = InferEntity<typeof ApiKey>;
