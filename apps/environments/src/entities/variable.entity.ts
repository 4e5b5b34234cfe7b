import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';
import { VARIABLE_KEY_MAX } from '@atrium/contract';
import { columns, fieldsOf } from '@atrium/service-runtime';
import { Environment } from './environment.entity.js';

/**
 * One variable of an environment. A plain value sits in `value`; a secret one only in
 * `ciphertext` (AES-256-GCM: nonce, tag, ciphertext) with the id of the key that sealed it,
 * so keys can rotate (see service-runtime's secrets/cipher.ts). The check constraint keeps the two apart.
 */
export const Variable = defineEntity({
  name: 'Variable',
  tableName: 'variables',
  properties: (p) => ({
    id: columns.id(),
    environment: p.manyToOne(Environment).deleteRule('cascade'),
    key: p.string().length(VARIABLE_KEY_MAX),
    secret: p.boolean(),
    value: p.text().nullable(),
    ciphertext: p.blob().nullable(),
    keyId: p.string().length(32).nullable(),
    /** Bumped by every change (MikroORM's optimistic lock): the variable's ETag. */
    version: p.integer().version(),
    createdAt: columns.createdAt(),
    updatedAt: columns.updatedAt(),
  }),
  uniques: [{ properties: ['environment', 'key'] }],
  indexes: [{ properties: ['environment', 'createdAt', 'id'] }],
  checks: [
    {
      name: 'variables_secret_sealed',
      expression:
        '(secret and value is null and ciphertext is not null and key_id is not null) or (not secret and value is not null and ciphertext is null and key_id is null)',
    },
  ],
});

export type IVariable = InferEntity<typeof Variable>;
export const variableFields = fieldsOf(Variable);
