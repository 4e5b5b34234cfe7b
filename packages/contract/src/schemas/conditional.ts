import { z } from 'zod';

/**
 * Optimistic concurrency (RFC 9110 conditional requests; docs/api-contract.md, Conditional
 * requests). Every project, environment and variable has a `version`, bumped by every change in
 * the statement that makes it. Over REST it is the resource's strong `ETag`, `"<version>"`; a
 * conditional write carries the versions its caller read (`If-Match`) in its input as `if_match`,
 * and the service compares them in the statement that writes.
 */
export const versionSchema = z.number().int().min(1).meta({
  description: 'Bumped by every change of this resource; its `ETag` is this number in quotes (`"3"`). Send it back in `If-Match`',
});

/** The `ETag` of a resource at `version`: a strong entity-tag, the version in quotes. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** At most this many entity-tags in one `If-Match`. */
export const IF_MATCH_MAX_TAGS = 32;

/**
 * A conditional write's precondition: `'*'` (the resource must exist) or the versions the caller
 * holds (the write applies only when the current version is one of them; an empty list matches
 * nothing). Over REST the gateway fills it from the `If-Match` header, never from the body.
 */
export const ifMatchSchema = z
  .union([z.literal('*'), z.array(versionSchema).max(IF_MATCH_MAX_TAGS)])
  .meta({ description: "Apply only if the resource's current version is one of these ('*': if it exists); else PRECONDITION_FAILED" });
export type IfMatch = z.infer<typeof ifMatchSchema>;

/** The input field of every conditional write (`rest.conditional: 'write'`); absent: unconditional, as before. */
export const ifMatchShape = { if_match: ifMatchSchema.optional() };

/**
 * The versions a write may apply to, for a statement's `version = any(?::int[])`: null when any
 * version will do (no precondition, or `'*'`), else a PostgreSQL array literal (`{3,4}`; `{}`
 * matches nothing).
 */
export function versionsOf(ifMatch: IfMatch | undefined): string | null {
  if (ifMatch === undefined || ifMatch === '*') return null;
  return `{${ifMatch.join(',')}}`;
}

/** Whether `version` satisfies the precondition (for a write that checks a locked read instead of its statement). */
export function matchesVersion(ifMatch: IfMatch | undefined, version: number): boolean {
  return ifMatch === undefined || ifMatch === '*' || ifMatch.includes(version);
}
