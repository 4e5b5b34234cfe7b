import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

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

let prettyStream: DestinationStream | undefined;
/** One pretty printer for every logger of the process, writing synchronously so the last line before an exit is not lost. */
function prettyDestination(): DestinationStream {
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

export function createLogger(
  name: string,
  level: (typeof LOG_LEVELS)[number],
  format: LogFormat = logFormatFor(process.stdout),
): Logger {
  const options = { name, level, base: { service: name } };
  return format === 'pretty' ? pino(options, prettyDestination()) : pino(options);
}
