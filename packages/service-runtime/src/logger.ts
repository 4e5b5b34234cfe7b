import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { serializeError } from './log-errors.js';

export type Logger = PinoLogger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogFormat = 'json' | 'pretty';

/**
 * A person at a terminal reads lines; everything else (a container's log driver, a pipe, a
 * file, the tests) gets one JSON object per line for machines to parse.
 */
export function logFormatFor(stdout: { isTTY?: boolean }): LogFormat {
  return stdout.isTTY ? 'pretty' : 'json';
}

// pino-pretty (~40 modules) is loaded only for a terminal; CommonJS, so synchronously.
const require = createRequire(import.meta.url);

let prettyStream: DestinationStream | undefined;
/** One pretty printer for every logger of the process, writing synchronously so the last line before an exit is not lost. */
function prettyDestination(): DestinationStream {
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  prettyStream ??= pretty({
    destination: 1,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The logger's name already says which part of the system speaks.
    ignore: 'pid,hostname,service',
    singleLine: true,
  });
  return prettyStream;
}

/**
 * Every process's logger. Errors are serialized by `serializeError`: one caused by the
 * database is logged without its SQL or values. `destination` is for tests that read the log.
 */
export function createLogger(
  name: string,
  level: (typeof LOG_LEVELS)[number],
  format: LogFormat = logFormatFor(process.stdout),
  destination?: DestinationStream,
): Logger {
  const options = { name, level, base: { service: name }, serializers: { err: serializeError, error: serializeError } };
  if (destination) return pino(options, destination);
  return format === 'pretty' ? pino(options, prettyDestination()) : pino(options);
}
