import { stdSerializers } from 'pino';

/**
 * A database error's message and detail carry the SQL and its parameter values (e-mail
 * addresses, password hashes, key digests); these fields say what went wrong without them.
 */
const SAFE_DATABASE_FIELDS = ['constraint', 'schema', 'table', 'column', 'dataType', 'routine', 'severity'] as const;

interface DatabaseErrorLike extends Error {
  code?: string;
  [field: string]: unknown;
}

/**
 * node-postgres's error, or MikroORM's driver exception (which copies its fields): told by
 * shape, so the logger (the gateway's too) never loads the ORM.
 */
function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  const candidate = error as { severity?: unknown; code?: unknown; routine?: unknown } | null;
  return error instanceof Error && typeof candidate?.severity === 'string' && typeof candidate.code === 'string' && 'routine' in candidate;
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link: unknown = error; link instanceof Error && chain.length < 8; link = link.cause) chain.push(link);
  return chain;
}

/**
 * pino's serializer for `err`: unchanged for ordinary errors (message and stack help), but an
 * error caused by the database — however deeply wrapped, e.g. in the TRPCError whose message
 * repeats the SQL — is reduced to its class, SQL state and the names involved. Never values.
 */
export function serializeError(error: unknown): unknown {
  const database = causes(error).find(isDatabaseError);
  if (!database) return error instanceof Error ? stdSerializers.err(error) : error;
  const outer = error as { name?: string; code?: unknown };
  const safe: Record<string, unknown> = { type: database.name, sqlState: database.code };
  for (const field of SAFE_DATABASE_FIELDS) {
    if (typeof database[field] === 'string') safe[field] = database[field];
  }
  return { type: outer.name, ...(typeof outer.code === 'string' ? { code: outer.code } : {}), database: safe };
}
