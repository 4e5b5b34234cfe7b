import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { busAuth } from '@atrium/local-infra';
import type { BusCredentials } from '@atrium/local-infra';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import type { ServiceTransport } from '@atrium/nats-trpc';
import type { ServiceName } from '@atrium/contract';
import { generateKeyEnvironment, loadAppKeys } from '@atrium/service-runtime';
import type { EventEnvelope } from '@atrium/contract';

const APPS = fileURLToPath(new URL('../../../', import.meta.url));
/** Settings of the machine running the tests that must not reach the processes started here. */
const OURS = ['DATABASE_URL', 'NATS_URL', 'ENCRYPTION_KEY', 'ENCRYPTION_KEYS', 'LOG_LEVEL', 'NATS_USER', 'NATS_PASSWORD'];

/** A process started from an app's real entry point (its TypeScript sources, as `pnpm dev` runs them). */
export interface AppProcess {
  /** Resolves once a line matches (rejects if the process ends first). */
  waitFor(pattern: RegExp): Promise<string>;
  /** SIGKILL: no shutdown, no flush, no acknowledgement — a crash. */
  crash(): Promise<void>;
  /** SIGTERM, and waits for the exit: a deployment stopping it. */
  stop(): Promise<void>;
  output(): string;
}

export function launchApp(app: string, script: string, env: Record<string, string>): AppProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@atrium/source', script], {
    cwd: join(APPS, app),
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split('\n').find((candidate) => pattern.test(candidate));
          if (line) {
            listeners.delete(check);
            resolve(line);
          }
        };
        listeners.add(check);
        void exit.then(() => reject(new Error(`${app} exited before printing ${pattern}:\n${output}`)));
        check();
      }),
    async crash() {
      if (!ended()) child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!ended()) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** The settings of a deployment of the three services on one database and one broker, each with its keys and bus user. */
export function deployment(options: { databaseUrl: string; natsUrl: string; credentials: BusCredentials }) {
  const keys = generateKeyEnvironment();
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const common = {
    DATABASE_URL: options.databaseUrl,
    NATS_URL: options.natsUrl,
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    NATS_REQUEST_TIMEOUT_MS: '20000',
    EVENTS_STREAM: `ATRIUM_CRASH_${suffix}`,
    EVENTS_NAMESPACE: `evt_crash_${suffix}`,
  };
  const envOf = (service: ServiceName): Record<string, string> => ({
    ...common,
    ...keys[service],
    ...(busAuth(options.credentials, service) as Record<string, string>),
    // Environments seals secret variables with it, projects webhooks' secrets.
    ...(service === 'environments' || service === 'projects' ? { ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
    ...(service === 'projects' ? { UPLOADS_BUCKET: `uploads-${suffix}` } : {}),
  });
  const environments = envOf('environments');
  const projects = envOf('projects');
  const kept = (service: ServiceName) => (service === 'environments' ? environments : service === 'projects' ? projects : envOf(service));
  return {
    stream: common.EVENTS_STREAM,
    namespace: common.EVENTS_NAMESPACE,
    /** The environments and projects processes must keep one key for the secrets they sealed across restarts. */
    envOf: kept,
    /** Starts a service's real entry point and resolves once it is serving. */
    async start(service: ServiceName): Promise<AppProcess> {
      const launched = launchApp(service, 'src/main.ts', kept(service));
      await launched.waitFor(/service ready/);
      return launched;
    },
    /** A transport as the gateway: its bus user and its key, vouching for users. */
    gateway(nc: NatsConnection): ServiceTransport {
      return createNatsTransport(nc, { timeoutMs: 20_000, signer: loadAppKeys('gateway', keys.gateway).signer });
    },
  };
}

/** Every envelope the stream holds, in order (read one by one: works on nats-server 2.9). */
export async function streamedEnvelopes(nc: NatsConnection, stream: string): Promise<EventEnvelope[]> {
  const manager = await jetstreamManager(nc);
  const info = await manager.streams.info(stream);
  const envelopes: EventEnvelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await manager.streams.getMessage(stream, { seq }).catch(() => null);
    if (message) envelopes.push(message.json<EventEnvelope>());
  }
  return envelopes;
}
