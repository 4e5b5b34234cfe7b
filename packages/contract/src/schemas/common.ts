import { z } from 'zod';

export const uuidSchema = z.uuid().meta({ description: 'UUID', example: '550e8400-e29b-41d4-a716-446655440000' });

/** REST responses skip tRPC transformers, so instants leave as RFC 3339 strings (UTC). */
export const timestampSchema = z.iso.datetime().meta({ description: 'RFC 3339 timestamp, UTC', example: '2024-01-15T10:30:00.000Z' });

/** Project and environment names (docs/api-contract.md, Projects): a DNS-label-like slug. */
export const slugNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens, starting and ending with a letter or digit');

export const colorSchema = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a #RRGGBB colour');

/**
 * What PostgreSQL cannot keep in a text column: NUL (refused with an error) and lone UTF-16
 * surrogates (silently stored as U+FFFD, so the value would not round-trip).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (value: string) => !value.includes('\u0000') && !LONE_SURROGATE.test(value);

/**
 * The string every free-text field is built on: whatever it accepts is stored and read back
 * exactly. Use it (not `z.string()`) for any new field a client writes.
 */
export const textSchema = () =>
  z.string().refine(storable, {
    message: 'must not contain NUL characters or unpaired UTF-16 surrogates',
    abort: true,
  });

export const displayNameSchema = textSchema().trim().min(1).max(100);
export const descriptionSchema = textSchema().max(1000);

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` of every list (docs/api-contract.md, Lists). */
export const listQueryShape = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Page size, 1–${MAX_PAGE_SIZE}` }),
  cursor: z.string().min(1).max(512).meta({ description: "Opaque cursor from the previous page's `next_cursor`" }).optional(),
};

/** A page of a list: the items and the cursor of the next page (null on the last page). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}
