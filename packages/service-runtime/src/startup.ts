import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { onShutdown } from './shutdown.js';

/** A reason not to start that a person can act on; its message is the whole story, no stack needed. */
export class StartupError extends Error {
  override name = 'StartupError';
}

interface SystemError {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

/** One line that says why the process cannot start and, where it can, what to do about it. */
export function startupFailureLine(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  const { code, syscall, address, port } = (error ?? {}) as SystemError;
  if (syscall === 'listen') {
    const where = `${address?.includes(':') ? `[${address}]` : address}:${port}`;
    if (code === 'EADDRINUSE') return `Port ${port} is already in use (${where}): stop what is using it, or set PORT to another port`;
    if (code === 'EACCES') return `Not allowed to listen on ${where}: ports below 1024 need privileges; set PORT to 1024 or above`;
    if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${where}: HOST is not an address of this machine`;
  }
  const message = error instanceof Error ? error.message : String(error);
  // Only the first line: a library's multi-line message would otherwise read like a stack.
  return `Could not start: ${message.split('\n')[0]}`;
}

export interface StartedProcess {
  log: Logger;
  /** Stops everything started, in order; run once on SIGINT/SIGTERM. */
  stop(): Promise<void>;
}

/**
 * The life of a process: `start` loads its configuration and starts it. A failure at any point
 * — bad configuration, a port taken, a folder in use — is one fatal line and exit code 1 (the
 * stack only at `debug`); once started, SIGINT/SIGTERM stop it and the last line says so.
 * `useLogger` hands over the configured logger as soon as there is one.
 */
export async function runProcess(name: string, start: (useLogger: (log: Logger) => Logger) => Promise<StartedProcess>): Promise<void> {
  let log: Logger | undefined;
  try {
    const started = await start((chosen) => (log = chosen));
    onShutdown(started.log, started.stop);
  } catch (error) {
    // Before the configuration is read there is no LOG_LEVEL yet: the fatal line shows at any level but silent.
    log ??= createLogger(name, 'info');
    log.debug({ err: error }, 'start-up failed');
    log.fatal(startupFailureLine(error));
    process.exit(1);
  }
}
