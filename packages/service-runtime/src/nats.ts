import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { inboxPrefix } from '@atrium/contract';

/** How an app proves its NATS identity (one of them) and checks the broker's certificate. */
export const natsAuthEnvShape = {
  NATS_USER: z.string().min(1).optional().meta({ description: "This app's NATS user (with NATS_PASSWORD)" }),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_CREDS_FILE: z.string().min(1).optional().meta({ description: 'A NATS credentials file (JWT and nkey seed)' }),
  NATS_NKEY_SEED: z.string().min(1).optional().meta({ description: 'An nkey seed (SU…)' }),
  NATS_TLS_CA_FILE: z.string().min(1).optional().meta({ description: "CA of the broker's certificate (turns TLS on)" }),
  NATS_TLS_CERT_FILE: z.string().min(1).optional().meta({ description: 'Client certificate, for brokers that verify clients' }),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
};

export type NatsAuthConfig = { [K in keyof typeof natsAuthEnvShape]?: string };

function authOptions(config: NatsAuthConfig): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  if (config.NATS_USER) Object.assign(options, { user: config.NATS_USER, pass: config.NATS_PASSWORD });
  else if (config.NATS_CREDS_FILE) options.authenticator = credsAuthenticator(readFileSync(config.NATS_CREDS_FILE));
  else if (config.NATS_NKEY_SEED) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(config.NATS_NKEY_SEED));
  if (config.NATS_TLS_CA_FILE || config.NATS_TLS_CERT_FILE) {
    options.tls = { caFile: config.NATS_TLS_CA_FILE, certFile: config.NATS_TLS_CERT_FILE, keyFile: config.NATS_TLS_KEY_FILE };
  }
  return options;
}

export function connectNats(url: string, name: string, auth: NatsAuthConfig = {}): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((server) => server.trim()),
    name,
    ...authOptions(auth),
    // Replies come back on this app's own prefix, the only inboxes its bus permissions let it read.
    inboxPrefix: inboxPrefix(name),
    // Reconnect forever: a NATS cluster restart must not take the service down.
    maxReconnectAttempts: -1,
    // Stack traces captured per request cost measurable time on the hot path.
    noAsyncTraces: true,
  });
}
