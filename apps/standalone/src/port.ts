import { createServer } from 'node:net';

/**
 * Fails at once, with the listen error itself, when HOST:PORT cannot be bound — before the
 * work (a first PostgreSQL initialisation) that the gateway's listen would otherwise undo.
 * The gateway binds it for real later; this only moves the common failure to the front.
 */
export function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
