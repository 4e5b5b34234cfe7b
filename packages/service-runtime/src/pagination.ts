import { DomainError } from './errors.js';
import { unnestKeys } from './read-batcher.js';

/** Lists are ordered by (created_at, id); the cursor is the last row's pair, opaque to clients. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

/**
 * The position before every row of a (created_at, id) list: a first page read from here is read
 * by the same statement as a page after a cursor (no row is created at -infinity).
 */
export const LIST_START = { createdAt: '-infinity', id: '00000000-0000-0000-0000-000000000000' } as const;

/** Where a page starts: a cursor's position, or LIST_START. */
export type PagePosition = CursorPosition | typeof LIST_START;

/** One page of a list read in a batch: whose list (`owner`: a user, a project), where the page starts, how many rows it reads. */
export interface PageKey {
  owner: string;
  after: PagePosition;
  rows: number;
}

/**
 * The FROM item of a batched page read's keys, with `pageKeyParams` for its parameters:
 * `from ${PAGE_KEYS} with ordinality as k(owner_id, after_created_at, after_id, row_limit, i)`,
 * each page then read in a lateral subquery from (after_created_at, after_id), `limit k.row_limit`.
 */
export const PAGE_KEYS = unnestKeys('uuid', 'timestamptz', 'uuid', 'int');

export function pageKeyParams(keys: readonly PageKey[]): unknown[] {
  return [
    keys.map((key) => key.owner),
    keys.map((key) => key.after.createdAt),
    keys.map((key) => key.after.id),
    keys.map((key) => key.rows),
  ];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Exactly what `Date#toISOString` writes for years 0001–9999: what this server issues. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

const invalidCursor = () =>
  new DomainError('BAD_REQUEST', 'Invalid cursor', [{ path: 'cursor', message: 'is not a cursor returned by this list' }]);

/**
 * Accepts only what `encodeCursor` can have written: a two-element array of an instant in
 * `toISOString` form (which also keeps it inside PostgreSQL's range) and a UUID. Every component
 * is checked, so a forged cursor is a 400 here and never reaches SQL as a value it cannot cast.
 */
export function decodeCursor(cursor: string): CursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalidCursor();
  const [createdAt, id] = decoded as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !ISO_INSTANT.test(createdAt) || !UUID.test(id)) {
    throw invalidCursor();
  }
  const date = new Date(createdAt);
  // Rejects calendar nonsense the pattern lets through (2024-02-31, 25:00) and year 0000.
  if (Number.isNaN(date.getTime()) || date.toISOString() !== createdAt || date.getUTCFullYear() < 1) throw invalidCursor();
  return { createdAt: date, id: id.toLowerCase() };
}

/** The filter for rows strictly after the cursor in (createdAt, id) order. */
export function afterCursor(cursor: string | undefined) {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $gt: createdAt } }, { createdAt, id: { $gt: id } }] };
}

/** The filter for rows strictly before the cursor in (createdAt, id) order: lists read newest first. */
export function beforeCursor(cursor: string | undefined) {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] };
}

/** Rows were fetched with `limit + 1`; the extra one only says whether a next page exists. */
export function toPage<Row extends CursorPosition, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item) {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(toItem),
    next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}
