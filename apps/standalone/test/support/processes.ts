import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busAuth, generateBusCredentials, startNatsServer, testBusAuthorization } from '@atrium/local-infra';
import type { BusCredentials, RunningNats } from '@atrium/local-infra';
import { createTestDatabase, freePort } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { generateKeyEnvironment } from '@atrium/service-runtime';
import { inject } from 'vitest';
import '@atrium/local-infra/provided-context';

const APPS = fileURLToPath(new URL('../../../', import.meta.url));
/** Settings of the machine running the tests that must not leak into the processes started here. */
const OURS = [
  'DATABASE_URL',
  'NATS_URL',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEYS',
  'LOG_LEVEL',
  'HOST',
  'PORT',
  'DATA_DIR',
  'PUBLIC_URL',
  'CORS_ORIGINS',
];

type App = 'identity' | 'projects' | 'environments' | 'gateway';

/** One app running as its own process, exactly as deployed (its real entry point, over NATS). */
export interface AppProcess {
  label: string;
  /** Where it answers HTTP: the gateway's API, a service's probes and metrics. */
  url: string;
  exit: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
  output(): string;
}

/**
 * The deployed shape, each app its own process on one nats-server (running the bus permissions of
 * `infra/`) and one database: start any number of instances of any app.
 */
export interface Deployment {
  databaseUrl: string;
  /** The broker's users (`test` may do anything: to inspect streams). */
  natsCredentials: Required<BusCredentials>;
  start(app: App, label: string, env?: Record<string, string>): Promise<AppProcess>;
  stop(): Promise<void>;
}

/** Starts the broker with the given nats-server configuration (its `authorization` block). */
export type StartBroker = (config: string) => Promise<Pick<RunningNats, 'url' | 'stop'>>;

/**
 * `broker`: what to run the apps on (a cluster, say); one nats-server by default. Each app's own
 * NATS_URL (a node of a cluster, say) can be given to `start`.
 */
export async function startDeployment(
  env: Record<string, string> = {},
  broker: StartBroker = (config) => startNatsServer({ config }),
): Promise<Deployment> {
  const credentials = generateBusCredentials();
  const [database, nats]: [TestDatabase, Pick<RunningNats, 'url' | 'stop'>] = await Promise.all([
    createTestDatabase(inject('databaseUrl'), 'failover'),
    broker(testBusAuthorization(credentials)),
  ]);
  const keys = generateKeyEnvironment();
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));
  const common = {
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    LOG_LEVEL: 'info',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  };
  const running: AppProcess[] = [];

  async function start(app: App, label: string, own: Record<string, string> = {}): Promise<AppProcess> {
    const port = await freePort();
    const listen = app === 'gateway' ? { PORT: String(port), HOST: '127.0.0.1' } : { METRICS_PORT: String(port) };
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@atrium/source', 'src/main.ts'], {
      cwd: join(APPS, app),
      env: { ...base, ...common, ...keys[app], ...busAuth(credentials, app), ...listen, ...own },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started: AppProcess = {
      label,
      url: `http://127.0.0.1:${port}`,
      exit,
      signal: (signal) => child.kill(signal),
      output: () => output,
    };
    running.push(started);
    await untilReady(started);
    return started;
  }

  return {
    databaseUrl: database.url,
    natsCredentials: credentials,
    start,
    async stop() {
      for (const app of running) app.signal('SIGKILL');
      await Promise.all(running.map((app) => app.exit));
      await Promise.all([nats.stop(), database.drop()]);
    },
  };
}

/** Waits for `/readyz` to answer 200 (a service's once it serves on NATS; the gateway's once it reaches the broker). */
async function untilReady(app: AppProcess): Promise<void> {
  let exited = false;
  void app.exit.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${app.label} exited before it was ready:\n${app.output()}`);
    const status = await fetch(`${app.url}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
