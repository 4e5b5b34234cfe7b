import { DomainError } from './errors.js';

/** Lists are ordered by (created_at, id); the cursor is the last row's pair, opaque to clients. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = typeof createdAt === 'string' ? new Date(createdAt) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('shape');
    return { createdAt: date, id };
  } catch {
    throw new DomainError('BAD_REQUEST', 'Invalid cursor', [{ path: 'cursor', message: 'is not a cursor returned by this list' }]);
  }
}

/** The filter for rows strictly after the cursor in (createdAt, id) order. */
export function afterCursor(cursor: string | undefined) {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $gt: createdAt } }, { createdAt, id: { $gt: id } }] };
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
