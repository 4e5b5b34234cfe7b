import type { EmbeddedNats } from './embedded-nats.js';
import type { StandaloneConfig } from './env.js';
import type { RunningSystem } from './system.js';

/** Where a browser on this machine reaches a server listening on `host`. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The database as a person may see it: never the password. */
function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL at DATABASE_URL';
  }
}

/**
 * The line `pnpm start` greets with: where the API, its docs and the data are — and, with
 * EMBEDDED_NATS, how a NATS client (@atrium/client) connects.
 */
export function startBanner(config: StandaloneConfig, system: RunningSystem, nats?: Pick<EmbeddedNats, 'url' | 'clientPassword'>) {
  const base = `http://${reachableHost(config.HOST)}:${new URL(system.url).port}`;
  const data = config.DATABASE_URL ? describeDatabase(config.DATABASE_URL) : `${config.DATA_DIR} (embedded PostgreSQL)`;
  const clients = nats ? ` · NATS clients: NATS_URL=${nats.url} ATRIUM_CLIENT_NATS_PASSWORD=${nats.clientPassword} (user client)` : '';
  return {
    fields: { mode: system.mode, ...(nats && { nats: { url: nats.url, user: 'client' } }) },
    message: `Atrium is up — API ${base}/api/v1 · docs ${base}/docs · data in ${data}${clients}`,
  };
}
