import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import '@atrium/local-infra/provided-context';
import { busAuth, generateBusCredentials, startNatsServer, testBusAuthorization } from '@atrium/local-infra';
import type { BusCredentials } from '@atrium/local-infra';
import { createTestDatabase, testEventStream } from '@atrium/test-kit';
import { createLogger } from '@atrium/service-runtime';
import { TEST_ONLY_SCRYPT } from '@atrium/identity';
import { loadStandaloneConfig } from '../../src/env.js';
import { startSystem } from '../../src/system.js';
import type { RunningSystem, SystemTuning } from '../../src/system.js';

export interface TestSystem {
  url: string;
  /** This system's database (every service's schema is in it), to check what was written. */
  databaseUrl: string;
  /** The nats-server this system is on: its own, unless `NATS_URL` was given. */
  natsUrl: string;
  /** The NATS users of its own nats-server, which runs with the bus permissions of `infra/` (see busAuth). */
  natsCredentials: BusCredentials;
  /** The keys the system made for its apps (to sign calls as one of them). */
  keys: RunningSystem['keys'];
  api: ApiClient;
  /** Takes one service off NATS, as its process ending would. */
  stopService: RunningSystem['stopService'];
  /** Stops every process and starts them again on the same database and broker, as a redeploy does. */
  restart(): Promise<void>;
  resumeService: RunningSystem['resumeService'];
  stop(): Promise<void>;
}

/**
 * The whole system as production runs it: three services and the gateway, each on its own
 * NATS connection, on a database of this test file's own. Each system gets a nats-server of its
 * own (it starts in milliseconds): its services answer on their real subjects and queue groups,
 * which would otherwise share calls with the other test files' systems running in parallel.
 * A test that manages the broker itself passes `NATS_URL`.
 */
export async function startTestSystem(env: Record<string, string> = {}, tuning: SystemTuning = {}): Promise<TestSystem> {
  const credentials = env.NATS_URL ? undefined : generateBusCredentials();
  const events = {
    ...testEventStream(),
    ...(env.EVENTS_STREAM && { stream: env.EVENTS_STREAM }),
    ...(env.EVENTS_NAMESPACE && { namespace: env.EVENTS_NAMESPACE }),
  };
  // The broker's permissions name this system's own stream and bucket, as production's do.
  const names = { stream: events.stream, namespace: events.namespace, uploadsBucket: env.UPLOADS_BUCKET ?? 'atrium-uploads' };
  const [database, nats] = await Promise.all([
    createTestDatabase(inject('databaseUrl'), 'e2e'),
    credentials ? startNatsServer({ config: testBusAuthorization(credentials, names) }) : undefined,
  ]);
  const natsUrl = env.NATS_URL ?? nats!.url;
  const config = loadStandaloneConfig({
    DATABASE_URL: database.url,
    NATS_URL: natsUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Tests assert behaviour, never timing: password hashing is slow on a busy CI machine.
    NATS_REQUEST_TIMEOUT_MS: '20000',
    // A stream and subjects of this file's own, should the nats-server be shared.
    EVENTS_STREAM: events.stream,
    EVENTS_NAMESPACE: events.namespace,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const natsAuth = (app: Parameters<typeof busAuth>[1]) => busAuth(credentials ?? {}, app);
  // Cheap password hashing: the tests register and sign in a lot; the cost is tested in identity.
  const start = () =>
    startSystem(config, createLogger('e2e', 'silent'), natsAuth, { passwordHashing: TEST_ONLY_SCRYPT, processMetrics: false, ...tuning });
  let system = await start();
  const testSystem: TestSystem = {
    url: system.url,
    databaseUrl: database.url,
    natsUrl,
    natsCredentials: credentials ?? {},
    keys: system.keys,
    api: apiClient(system.url),
    stopService: (name) => system.stopService(name),
    async restart() {
      await system.stop();
      system = await start();
      Object.assign(testSystem, { url: system.url, keys: system.keys, api: apiClient(system.url) });
    },
    resumeService: (name) => system.resumeService(name),
    async stop() {
      await system.stop();
      await Promise.all([nats?.stop(), database.drop()]);
    },
  };
  return testSystem;
}

/** A system's HTTP side and database: what a test of the API and its stored effects needs, in either mode. */
export type ApiSystem = Pick<TestSystem, 'url' | 'databaseUrl' | 'api' | 'stop'>;

/**
 * The one-process mode `pnpm start` runs when no NATS_URL is given: the routers linked in
 * process and events delivered on the in-process bus, on a database of this test file's own.
 */
export async function startInProcessTestSystem(env: Record<string, string> = {}): Promise<ApiSystem> {
  const database = await createTestDatabase(inject('databaseUrl'), 'e2e');
  const config = loadStandaloneConfig({
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    NATS_REQUEST_TIMEOUT_MS: '20000',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const system = await startSystem(config, createLogger('e2e', 'silent'), undefined, {
    passwordHashing: TEST_ONLY_SCRYPT,
    processMetrics: false,
  });
  return {
    url: system.url,
    databaseUrl: database.url,
    api: apiClient(system.url),
    async stop() {
      await system.stop();
      await database.drop();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export type ApiClient = (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;

/** A REST consumer: real HTTP to the gateway, paths relative to /api/v1. */
export function apiClient(baseUrl: string): ApiClient {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as any, text };
  };
}

let counter = 0;
/** Registers a fresh user and returns its token and id. */
export async function newUser(api: ApiClient, label = 'user') {
  const email = `${label}-${Date.now()}-${counter++}@example.com`.toLowerCase();
  const response = await api('POST', '/auth/register', { body: { email, password: 'correct horse battery', name: label } });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
  return { token: response.body.data.token as string, id: response.body.data.user.id as string, email };
}
