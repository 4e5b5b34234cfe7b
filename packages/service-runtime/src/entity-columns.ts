import { randomUUID } from 'node:crypto';
import { defineEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/**
 * The columns every entity shares, defined once: UUID keys made by the application, and
 * timestamps in milliseconds — JavaScript's precision, so list cursors built from them are exact.
 */
export const columns = {
  id: () =>
    p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
  createdAt: () => p.datetime(3).onCreate(() => new Date()),
  updatedAt: () =>
    p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
};
