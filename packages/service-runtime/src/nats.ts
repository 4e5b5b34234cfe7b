import { readFileSync } from 'node:fs';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '@atrium/contract';
import type { natsAuthEnvShape } from './nats-env.js';

export { natsAuthEnvShape } from './nats-env.js';

export type NatsAuthConfig = { [K in keyof typeof natsAuthEnvShape]?: string };

/**
 * The NATS client is loaded by the first connection, not with this module: the one-process mode
 * without a broker imports this package and never connects (see apps/standalone's README).
 */
const natsClient = () => import('@nats-io/transport-node');

function authOptions(
  config: NatsAuthConfig,
  { credsAuthenticator, nkeyAuthenticator }: Awaited<ReturnType<typeof natsClient>>,
): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  if (config.NATS_USER) Object.assign(options, { user: config.NATS_USER, pass: config.NATS_PASSWORD });
  else if (config.NATS_CREDS_FILE) options.authenticator = credsAuthenticator(readFileSync(config.NATS_CREDS_FILE));
  else if (config.NATS_NKEY_SEED) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(config.NATS_NKEY_SEED));
  if (config.NATS_TLS_CA_FILE || config.NATS_TLS_CERT_FILE) {
    options.tls = { caFile: config.NATS_TLS_CA_FILE, certFile: config.NATS_TLS_CERT_FILE, keyFile: config.NATS_TLS_KEY_FILE };
  }
  return options;
}

/**
 * Connects as app `name`. Its replies come on `inboxOwner`'s inbox prefix, the app's own unless a
 * test's unrestricted connection stands in for another app: services answer only onto the
 * inboxes of the apps that may call them.
 */
export async function connectNats(
  url: string,
  name: string,
  auth: NatsAuthConfig = {},
  inboxOwner: string = name,
): Promise<NatsConnection> {
  const client = await natsClient();
  return client.connect({
    servers: url.split(',').map((server) => server.trim()),
    name,
    ...authOptions(auth, client),
    // Replies come back on this app's own prefix, the only inboxes its bus permissions let it read.
    inboxPrefix: inboxPrefix(inboxOwner),
    // Reconnect forever: a NATS cluster restart must not take the service down.
    maxReconnectAttempts: -1,
    // Stack traces captured per request cost measurable time on the hot path.
    noAsyncTraces: true,
  });
}
