import type { Logger } from './logger.js';

/**
 * Runs `close` once on SIGINT/SIGTERM, says so when done, then exits. A second Ctrl+C (SIGINT)
 * exits at once; a repeated SIGTERM is ignored: orchestrators and process managers send it
 * again (a signal to the process group, then one forwarded by a wrapper), and exiting on it
 * would cut off the calls the first one is finishing.
 */
export function onShutdown(log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handle = (signal: NodeJS.Signals) => {
    if (closing) {
      if (signal === 'SIGINT') process.exit(1);
      log.info(`already stopping (${signal} again)`);
      return;
    }
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
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
