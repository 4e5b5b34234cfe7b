import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { serializeError } from './log-errors.js';

export type Logger = PinoLogger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every process's logger; `destination` is for tests that read what was logged. */
export function createLogger(name: string, level: (typeof LOG_LEVELS)[number], destination?: pino.DestinationStream): Logger {
  const options = { name, level, base: { service: name }, serializers: { err: serializeError, error: serializeError } };
  return destination ? pino(options, destination) : pino(options);
}
