import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALLER_NAMES, CLIENT_APP, busPermissions, renderAuthorization } from '@atrium/contract';
import type { CallerName } from '@atrium/contract';
import { StartupError } from '@atrium/service-runtime/settings';
import type { StandaloneConfig } from './env.js';
import { ensurePortFree } from './port.js';
import type { BusAuthOf } from './system.js';

/**
 * The one-process mode serving NATS clients (`EMBEDDED_NATS=true`, no NATS_URL): a nats-server
 * of its own, started beside the services, with the bus permissions `infra/` ships (one
 * definition, in the contract) for every app and the `client` user. The system then runs in
 * NATS mode on it — each service on its own connection, as deployed — so `@atrium/client` and
 * `examples/typed-client` can connect. It listens on 127.0.0.1 only; JetStream keeps events
 * and uploads in DATA_DIR/nats; the passwords are made on the first start and kept in
 * DATA_DIR/nats-passwords.json (mode 0600), so a client's settings survive a restart.
 */
export interface EmbeddedNats {
  /** Where clients connect, e.g. nats://127.0.0.1:4222 */
  url: string;
  /** The `client` NATS user's password, for `connectAtrium({ pass })`. */
  clientPassword: string;
  /** Each app's NATS user on it. */
  busAuth: BusAuthOf;
  stop(): Promise<void>;
}

type Passwords = Record<CallerName, string>;

/** Made once, kept beside the data (as the encryption key is); `wx` so two racing starts keep one set. */
function resolvePasswords(dataDir: string): Passwords {
  const file = join(dataDir, 'nats-passwords.json');
  mkdirSync(dataDir, { recursive: true });
  const fresh = Object.fromEntries(CALLER_NAMES.map((name) => [name, randomBytes(18).toString('base64url')]));
  try {
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<Passwords>;
  // A set kept by an older version may lack a user added since: it gets one, kept too.
  if (CALLER_NAMES.some((name) => !kept[name])) {
    const completed = { ...fresh, ...kept };
    writeFileSync(file, `${JSON.stringify(completed, null, 2)}\n`, { mode: 0o600 });
    return completed as Passwords;
  }
  return kept as Passwords;
}

export async function startEmbeddedNats(config: StandaloneConfig): Promise<EmbeddedNats> {
  // Loaded only in this mode: local-infra's nats-server start (and the test helpers beside it).
  const { natsServerBinary, startNatsServer } = await import('@atrium/local-infra');
  try {
    natsServerBinary();
  } catch (error) {
    throw new StartupError(`EMBEDDED_NATS=true: ${(error as Error).message}`);
  }
  const port = config.EMBEDDED_NATS_PORT;
  // Another server on the port would answer the readiness probe in nats-server's place.
  await ensurePortFree('127.0.0.1', port).catch((error: NodeJS.ErrnoException) => {
    throw new StartupError(`EMBEDDED_NATS_PORT ${port} cannot be used (${error.code ?? error.message}): set another one`);
  });
  const passwords = resolvePasswords(config.DATA_DIR);
  const permissions = busPermissions({
    stream: config.EVENTS_STREAM,
    namespace: config.EVENTS_NAMESPACE,
    uploadsBucket: config.UPLOADS_BUCKET,
  });
  const users = CALLER_NAMES.map((name) => ({ user: name, password: passwords[name], permissions: permissions[name] }));
  const server = await startNatsServer({ port, storeDir: join(config.DATA_DIR, 'nats'), config: renderAuthorization(users) });
  return {
    url: server.url,
    clientPassword: passwords[CLIENT_APP],
    busAuth: (app) => ({ NATS_USER: app, NATS_PASSWORD: passwords[app] }),
    stop: server.stop,
  };
}
