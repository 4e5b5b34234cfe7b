import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { DomainError, afterCursor, decodeCursor, describeError, encodeCursor, toPage, toTRPCError } from '../src/index.js';

describe('error mapping', () => {
  it("keeps a domain error's code, message and details", () => {
    const mapped = toTRPCError(new DomainError('GONE', 'Invite expired')) as TRPCError;
    expect(mapped.code).toBe('PRECONDITION_FAILED');
    expect(describeError(mapped)).toEqual({ apiCode: 'GONE', message: 'Invite expired', details: undefined });
  });

  it('turns input validation into BAD_REQUEST with field details', () => {
    const result = z.strictObject({ name: z.string(), n: z.number() }).safeParse({ n: 'x', extra: 1 });
    const error = new TRPCError({ code: 'BAD_REQUEST', cause: result.error });
    const described = describeError(error);
    expect(described.apiCode).toBe('BAD_REQUEST');
    expect(described.details?.map((d) => d.path).sort()).toEqual(['', 'n', 'name']);
    expect(described.message).toMatch(/name/);
  });

  it('never reveals internals of unexpected errors', () => {
    const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('password=hunter2 at db.ts:12') });
    expect(describeError(error)).toEqual({ apiCode: 'INTERNAL_ERROR', message: 'Internal error' });
  });

  it('does not mistake a broken output for bad input', () => {
    const broken = z.object({ id: z.string() }).safeParse({});
    expect(describeError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: broken.error })).apiCode).toBe('INTERNAL_ERROR');
  });
});

describe('cursor pagination', () => {
  const rows = [1, 2, 3].map((i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, createdAt: new Date(Date.UTC(2026, 0, i)) }));

  it('round-trips a position and rejects forgeries', () => {
    const cursor = encodeCursor(rows[0]!);
    expect(decodeCursor(cursor)).toEqual(rows[0]);
    for (const forged of ['', 'abc', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["2026-01-01","x"]').toString('base64url')]) {
      expect(() => decodeCursor(forged)).toThrow(DomainError);
    }
  });

  it('pages from limit + 1 rows', () => {
    const page = toPage(rows, 2, (row) => row.id);
    expect(page.data).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(decodeCursor(page.next_cursor!)).toEqual(rows[1]);
    expect(toPage(rows.slice(0, 2), 2, (row) => row.id).next_cursor).toBeNull();
  });

  it('filters strictly after the cursor in (createdAt, id) order', () => {
    expect(afterCursor(undefined)).toEqual({});
    expect(afterCursor(encodeCursor(rows[1]!))).toEqual({
      $or: [{ createdAt: { $gt: rows[1]!.createdAt } }, { createdAt: rows[1]!.createdAt, id: { $gt: rows[1]!.id } }],
    });
  });
});
