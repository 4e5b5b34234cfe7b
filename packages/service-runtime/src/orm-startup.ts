import type { MikroORM } from '@mikro-orm/postgresql';
import { databaseNameOf } from './database-url.js';
import type { Logger } from './logger.js';
import { isPoolTimeout } from './orm-errors.js';
import { StartupError } from './startup.js';

/** Socket errors of a server not up yet (or not reachable yet: DNS of a pod that does not exist yet). */
const NOT_UP_YET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);
/** PostgreSQL's: 57P01-57P03 shutting down or starting up (cannot_connect_now), 53300 too_many_connections. */
const NOT_READY_YET = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Why a failed connection may well succeed a little later, or undefined when waiting cannot
 * mend it (a wrong password, a missing database, a TLS misconfiguration).
 */
export function transientReason(error: unknown): string | undefined {
  if (isPoolTimeout(error)) return 'no answer';
  const { code, message } = error as { code?: string; message?: string };
  if (code !== undefined && (NOT_UP_YET.has(code) || NOT_READY_YET.has(code))) return message || messagesOf(error) || code;
  // The server closed the connection in its handshake: the postgres image's init-time server stopping, say.
  if (message === 'Connection terminated unexpectedly') return message;
  return undefined;
}

/**
 * The messages of an AggregateError's errors: Node's, when every address of a host name (::1 and
 * 127.0.0.1 for localhost) failed, has an empty message of its own.
 */
function messagesOf(error: unknown): string {
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return '';
  return errors.flatMap((inner) => (inner instanceof Error && inner.message ? [inner.message] : [])).join('; ');
}

/** Host and port of a database URL, for messages. */
function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** The end of start-up's wait: one line naming the database, the bound and the last reason. */
export function databaseNotReady(url: string, startupTimeoutMs: number, reason: string): StartupError {
  return new StartupError(
    `PostgreSQL at ${serverOf(url)} (database "${databaseNameOf(url)}") did not take a connection within ${seconds(startupTimeoutMs)} ` +
      `(DB_STARTUP_TIMEOUT_MS); last: ${reason}. Is it running and reachable from here?`,
  );
}

/** What the last try before the deadline is left for connecting and hearing the answer. */
const LAST_TRY_MS = 100;

/**
 * Runs start-up's first statement, trying again while PostgreSQL refuses connections, says it
 * is starting up or does not answer — until `deadline` (each try's wait for a connection ends by
 * it: the caller bounds the pool's waits, `boundWaitsBy`). Says so once at warn when it has to
 * wait; gives up with `databaseNotReady`.
 */
export async function waitForDatabase(
  orm: MikroORM,
  options: { clientUrl: string; startupTimeoutMs: number; deadline: number; log?: Logger },
): Promise<void> {
  let waitedSince: number | undefined;
  for (let tries = 0; ; tries++) {
    try {
      await orm.em.getConnection().execute('select 1');
      if (waitedSince !== undefined) {
        options.log?.info({ waitedMs: Date.now() - waitedSince }, 'PostgreSQL takes connections: start-up goes on');
      }
      return;
    } catch (error) {
      const reason = transientReason(error);
      if (reason === undefined) throw error;
      // The pause grows to a second; the last one ends LAST_TRY_MS before the deadline, so one
      // more try still has the time to connect and hear why (not only that nothing answered).
      const left = options.deadline - Date.now() - LAST_TRY_MS;
      if (left <= 0) throw databaseNotReady(options.clientUrl, options.startupTimeoutMs, reason);
      if (waitedSince === undefined) {
        waitedSince = Date.now();
        options.log?.warn(
          {
            database: `${serverOf(options.clientUrl)}/${databaseNameOf(options.clientUrl)}`,
            reason,
            waitsUpToMs: options.startupTimeoutMs,
          },
          'PostgreSQL does not take connections yet: start-up waits for it',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** tries, 1000, left)));
    }
  }
}
