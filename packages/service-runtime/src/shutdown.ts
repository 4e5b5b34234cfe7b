import type { Logger } from './logger.js';

/** Runs `close` once on SIGINT/SIGTERM, says so when done, then exits; a second signal exits at once. */
export function onShutdown(log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handle = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log.info(`stopping (${signal})`);
    close()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'stopping failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}
