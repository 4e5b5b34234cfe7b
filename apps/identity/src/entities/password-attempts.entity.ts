import { defineEntity } from '@mikro-orm/core';
import type { InferEntity } from '@mikro-orm/core';

/**
 * Failed password verifications per account (the lower-cased e-mail, so unknown addresses are
 * counted the same as known ones), in a fixed window. In the database, not in memory: every
 * identity instance sees the same count.
 */
export const PasswordAttempts = defineEntity({
  name: 'PasswordAttempts',
  tableName: 'password_attempts',
  properties: (p) => ({
    account: p.string().length(254).primary(),
    failures: p.integer(),
    windowStartedAt: p.datetime(3),
  }),
});

export type IPasswordAttempts = InferEntity<typeof PasswordAttempts>;
