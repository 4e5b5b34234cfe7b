import { IF_MATCH_MAX_TAGS } from '@atrium/contract';
import type { IfMatch } from '@atrium/contract';
import { DomainError, toTRPCError } from '@atrium/service-runtime/core';

/**
 * The conditional request headers of RFC 9110 (§13.1.1 If-Match, §13.1.2 If-None-Match) as the
 * conditional operations take them (`rest.conditional`; docs/api-contract.md, Conditional
 * requests). Atrium's ETags are strong, `"<version>"`: a tag of any other shape is valid syntax
 * that never matches.
 */

/**
 * One entity-tag in a list: `W/"…"` or `"…"`, then a comma or the end; empty list elements
 * before it are skipped (RFC 9110 §5.6.1).
 */
const ENTITY_TAG = /[\s,]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** `*`, or the list of entity-tags; undefined when the value is not of that syntax. */
function parseTags(value: string): '*' | EntityTag[] | undefined {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < value.length) {
    const start = ENTITY_TAG.lastIndex;
    const match = ENTITY_TAG.exec(value);
    if (!match) {
      // Empty list elements and trailing spaces are allowed (RFC 9110 §5.6.1).
      if (/^[\s,]*$/.test(value.slice(start))) break;
      return undefined;
    }
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  }
  return tags.length ? tags : undefined;
}

/** A version from an entity-tag's opaque part, when it is one of ours. */
function versionOf(opaque: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(opaque)) return undefined;
  return Number(opaque);
}

/** Several header lines of one field are one list (RFC 9110 §5.3). */
const joined = (header: string | string[]): string => (typeof header === 'string' ? header : header.join(', '));

const badHeader = (name: string, message: string) => toTRPCError(new DomainError('BAD_REQUEST', message, [{ path: name, message }]));

/**
 * A conditional write's `If-Match` as its input's `if_match`: `'*'`, or the versions it names.
 * Strong comparison (§13.1.1): a weak tag, or one that is not a version of ours, matches
 * nothing, so a list of only those is `[]` (always 412 on an existing resource).
 */
export function ifMatchOf(header: string | string[] | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const tags = parseTags(joined(header));
  if (tags === undefined) throw badHeader('If-Match', 'If-Match must be "*" or a comma-separated list of entity-tags (such as "3")');
  if (tags === '*') return '*';
  if (tags.length > IF_MATCH_MAX_TAGS) throw badHeader('If-Match', `If-Match may name at most ${IF_MATCH_MAX_TAGS} entity-tags`);
  const versions = tags.flatMap((tag) => {
    const version = tag.weak ? undefined : versionOf(tag.opaque);
    return version === undefined ? [] : [version];
  });
  return [...new Set(versions)];
}

/**
 * Whether a conditional read's `If-None-Match` names the current version (then: 304). Weak
 * comparison (§13.1.2): `W/"3"` matches `"3"`; `*` matches any resource that exists. A value
 * that is not a list of entity-tags matches nothing (the read answers as without it).
 */
export function noneMatchHit(header: string | string[] | undefined, version: number): boolean {
  if (header === undefined) return false;
  const tags = parseTags(joined(header));
  if (tags === undefined) return false;
  if (tags === '*') return true;
  return tags.some((tag) => versionOf(tag.opaque) === version);
}
