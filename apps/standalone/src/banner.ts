import type { EmbeddedNats, NoEmbeddedNats } from './embedded-nats.js';
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
 * The line `pnpm start` greets with: where the API, its docs and the data are — and how a NATS
 * client (@atrium/client) connects to the embedded nats-server, or how to get one served.
 * `api` is the API's base URL as this machine reaches it.
 */
export function startBanner(
  config: StandaloneConfig,
  system: RunningSystem,
  nats?: Pick<EmbeddedNats, 'started' | 'url' | 'clientFile'> | NoEmbeddedNats,
) {
  const base = `http://${reachableHost(config.HOST)}:${new URL(system.url).port}`;
  const data = config.DATABASE_URL ? describeDatabase(config.DATABASE_URL) : `${config.DATA_DIR} (embedded PostgreSQL)`;
  // The password is in the file (0600), not in a log line that may be kept or shipped elsewhere.
  const clients = nats?.started
    ? ` · NATS clients: NATS_URL=${nats.url} (user client; its password and the rest in ${nats.clientFile}, which examples/typed-client reads)`
    : nats?.hint
      ? ` · NATS clients: none (${nats.hint})`
      : '';
  return {
    api: `${base}/api/v1`,
    fields: { mode: system.mode, ...(nats?.started && { nats: { url: nats.url, user: 'client', clientFile: nats.clientFile } }) },
    message: `Atrium is up — API ${base}/api/v1 · docs ${base}/docs · data in ${data}${clients}`,
  };
}
