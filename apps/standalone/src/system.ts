import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { SERVICE_NAMES } from '@atrium/contract';
import type { AppName, ServiceName } from '@atrium/contract';
import { startEnvironmentsService } from '@atrium/environments';
import { buildGateway, cachedReadiness, checkReadiness, gatewaySettings, stopGateway, stopTimings } from '@atrium/gateway';
import { smtpTransport, startIdentityService } from '@atrium/identity';
import type { IdentityMailOptions, ScryptParams } from '@atrium/identity';
import { createLocalBroadcast, createLocalTransport, createNatsBroadcast } from '@atrium/nats-trpc';
import type { Broadcast, ServiceTransport } from '@atrium/nats-trpc';
import { startProjectsService, webhookSettings } from '@atrium/projects';
import { folderUploadStore, natsUploadStore } from '@atrium/uploads';
import type { UploadStore } from '@atrium/uploads';
import {
  callerTransportOptions,
  connectNats,
  createJetStreamSink,
  createMetrics,
  createLocalSink,
  encryptionKeys,
  createLogger,
  ensureEventStream,
  eventStreamSettings,
  uploadBucketSettings,
  generateAppKeys,
  jetStreamEventSource,
  lazyTransport,
  localEventSource,
  observedTransport,
  serveOverNats,
} from '@atrium/service-runtime';
import type { AppKeys, EventSink, EventSource, Logger, NatsAuthConfig, ServiceBus, ServiceInstance } from '@atrium/service-runtime';
import type { StandaloneConfig } from './env.js';
import { preflight } from './preflight.js';
import type { Preflight } from './preflight.js';

export interface RunningSystem {
  /** Where the REST API listens, e.g. http://127.0.0.1:3000 */
  url: string;
  /** The keys made for this process's apps, and the deployer's (tests sign calls with them). */
  keys: Record<AppName, AppKeys>;
  mode: { database: 'embedded' | 'external'; transport: 'nats' | 'in-process' };
  /** Takes one service off NATS, as its process ending would: the tests' outage drills (NATS mode only). */
  stopService(name: ServiceName): Promise<void>;
  /** Serves a stopped service on NATS again, as its process coming back would. */
  resumeService(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the three services and the gateway in this process. With NATS_URL each of them gets
 * its own NATS connection and they talk exactly as separate deployments do; without it they
 * are linked in process. Without DATABASE_URL an embedded PostgreSQL is started.
 */
async function connectAll(url: string, auth: BusAuthOf): Promise<Record<ServiceName | 'gateway', NatsConnection>> {
  const names = [...SERVICE_NAMES, 'gateway'] as const;
  const connections = await Promise.all(names.map((name) => connectNats(url, name, auth(name))));
  return Object.fromEntries(names.map((name, i) => [name, connections[i]!])) as Record<ServiceName | 'gateway', NatsConnection>;
}

/** What only a test system changes. */
export interface SystemTuning {
  /** Identity's password hashing cost (tests: TEST_ONLY_SCRYPT); the standard one by default. */
  passwordHashing?: ScryptParams;
  /** Process metrics (CPU, memory, event loop) in /metrics; on by default, off for test systems sharing a process. */
  processMetrics?: boolean;
  /** How identity's mail sender retries and polls (tests: fast, to see a retry happen). */
  mail?: Pick<IdentityMailOptions, 'retry' | 'pollIntervalMs'>;
  /** How projects' webhook worker polls (tests: often, to see a retry soon). */
  webhooks?: { pollIntervalMs?: number };
}

/** Each app's NATS identity; by default all use the one configured (NATS_USER, …), if any. */
export type BusAuthOf = (app: ServiceName | 'gateway') => NatsAuthConfig;

export async function startSystem(
  config: StandaloneConfig,
  log: Logger,
  busAuth: BusAuthOf = () => config,
  tuning: SystemTuning = {},
  /** The checks and the embedded PostgreSQL when main.ts has begun them already; done here otherwise. */
  early?: Preflight,
): Promise<RunningSystem> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log.error({ err: error }, 'stop failed'));
  };

  try {
    const { encryptionKey, mail, pool, database } = early ?? (await preflight(config, log));
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      // preflight starts it whenever DATABASE_URL is not set.
      const embedded = await database!;
      stops.push(embedded.postgres.stop);
      databaseUrl = embedded.databaseUrl;
    }

    // With NATS, one connection per service and one for the gateway, as separate deployments have.
    const nats = config.NATS_URL ? await connectAll(config.NATS_URL, busAuth) : undefined;
    // The NATS calling side (and the NATS client with it) is loaded only with a broker.
    const { createNatsTransport } = nats ? await import('@atrium/nats-trpc/nats-transport') : {};
    // Registered first so it runs last: everything below may still need NATS while stopping.
    stops.push(async () => {
      await Promise.all(Object.values(nats ?? {}).map((nc) => nc.drain().catch(() => undefined)));
    });
    const localBroadcast = nats ? undefined : createLocalBroadcast();
    const stream = eventStreamSettings(config);
    // A key per app, made now: see generateAppKeys for why nothing is kept on disk.
    const keys = generateAppKeys();
    // One registry for the whole process, served by the gateway at /metrics.
    const metrics = createMetrics({ processMetrics: tuning.processMetrics ?? true });
    // Each app's NATS connection: up or not, and its reconnects.
    for (const [app, nc] of Object.entries(nats ?? {})) metrics.observeNats(app, nc);
    // In process, each service's own calls go through a transport signed with its key, made once all have started.
    let inProcess: Partial<Record<ServiceName, ServiceTransport>> = {};
    const busOf = (name: ServiceName): ServiceBus => ({
      keys: keys[name],
      metrics,
      transport: observedTransport(
        nats
          ? createNatsTransport!(nats[name], { ...callerTransportOptions(config, metrics), signer: keys[name].signer })
          : lazyTransport(() => {
              const transport = inProcess[name];
              if (!transport) throw new Error('services are still starting');
              return transport;
            }),
        metrics,
      ),
    });
    // Uploads: the object store every instance sees with NATS; a folder beside the database without it.
    const bucket = uploadBucketSettings(config);
    const uploadsOf = async (app: 'projects' | 'gateway'): Promise<UploadStore> =>
      nats ? natsUploadStore(nats[app], bucket) : folderUploadStore(join(config.DATA_DIR, 'uploads'));
    if (nats) await ensureEventStream(nats.projects, stream);
    const logs = Object.fromEntries(SERVICE_NAMES.map((name) => [name, createLogger(name, config.LOG_LEVEL)])) as Record<
      ServiceName,
      Logger
    >;
    // Each service publishes its own events and consumes others' on its own connection (JetStream), or on the in-process bus.
    const eventsOf = (name: ServiceName): { eventSink: EventSink; events: EventSource } =>
      nats
        ? { eventSink: createJetStreamSink(nats[name], stream), events: jetStreamEventSource(nats[name], stream, logs[name]) }
        : {
            eventSink: createLocalSink(localBroadcast!, stream.namespace),
            events: localEventSource(localBroadcast!, stream.namespace, logs[name]),
          };

    const started = await Promise.allSettled([
      startIdentityService({
        databaseUrl,
        pool,
        sessionTtlDays: config.SESSION_TTL_DAYS,
        inviteTtlDays: config.INVITE_TTL_DAYS,
        registration: config.AUTH_REGISTRATION,
        publicUrl: config.PUBLIC_URL,
        broadcast: nats ? createNatsBroadcast(nats.identity) : localBroadcast!,
        ...eventsOf('identity'),
        log: logs.identity,
        bus: busOf('identity'),
        passwordHashing: tuning.passwordHashing,
        mail: mail && { ...mail, transport: smtpTransport(mail.smtpUrl), ...tuning.mail },
      }),
      startProjectsService({
        databaseUrl,
        pool,
        ...eventsOf('projects'),
        auditRetainMs: stream.maxAgeMs,
        broadcast: nats ? createNatsBroadcast(nats.projects) : localBroadcast!,
        uploads: await uploadsOf('projects'),
        log: logs.projects,
        bus: busOf('projects'),
        ...encryptionKeys({ ENCRYPTION_KEY: encryptionKey, ENCRYPTION_KEYS: config.ENCRYPTION_KEYS }),
        webhooks: { ...webhookSettings(config), ...tuning.webhooks },
      }),
      startEnvironmentsService({
        databaseUrl,
        pool,
        log: logs.environments,
        bus: busOf('environments'),
        broadcast: nats ? createNatsBroadcast(nats.environments) : localBroadcast!,
        ...eventsOf('environments'),
        ...encryptionKeys({ ENCRYPTION_KEY: encryptionKey, ENCRYPTION_KEYS: config.ENCRYPTION_KEYS }),
        roleCache: { ttlMs: config.ROLE_CACHE_TTL_MS, max: config.ROLE_CACHE_MAX },
      }),
    ]);
    const services: ServiceInstance[] = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    stops.push(async () => {
      await Promise.all(services.map((service) => service.close()));
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    /** What each service serves on NATS right now (drained when it is stopped). */
    const serving = new Map<string, Awaited<ReturnType<typeof serveOverNats>>>();
    let transport: ServiceTransport;
    let gatewayBroadcast: Broadcast;
    // In process there is no broker: its round trip always succeeds.
    let brokerRoundTrip: () => Promise<unknown> = async () => undefined;
    if (nats) {
      const served = await Promise.all(services.map((service) => serveOverNats(nats[service.name], service, logs[service.name])));
      services.forEach((service, i) => {
        serving.set(service.name, served[i]!);
      });
      // Runs before the services close: calls already taken are answered first.
      stops.push(async () => {
        await Promise.all([...serving.values()].map((handle) => handle.drain()));
      });
      transport = createNatsTransport!(nats.gateway, { ...callerTransportOptions(config, metrics), signer: keys.gateway.signer });
      gatewayBroadcast = createNatsBroadcast(nats.gateway);
      brokerRoundTrip = () => nats.gateway.rtt();
    } else {
      // In process the calls are signed and verified all the same: one path in both modes.
      const endpoints = Object.fromEntries(services.map((service) => [service.name, service.endpoint]));
      const local = (app: ServiceName | 'gateway') =>
        createLocalTransport(endpoints, { timeoutMs: config.NATS_REQUEST_TIMEOUT_MS, signer: keys[app].signer });
      transport = local('gateway');
      inProcess = Object.fromEntries(SERVICE_NAMES.map((name) => [name, local(name)]));
      gatewayBroadcast = localBroadcast!;
    }

    transport = observedTransport(transport, metrics);
    const app = await buildGateway({
      metrics,
      transport,
      broadcast: gatewayBroadcast,
      uploads: await uploadsOf('gateway'),
      log: createLogger('gateway', config.LOG_LEVEL),
      readiness: cachedReadiness(() => checkReadiness(transport, brokerRoundTrip)),
      ...gatewaySettings(config),
    });
    await app.listen({ host: config.HOST, port: config.PORT });
    // The gateway closes first, so in-flight requests finish before the services go.
    stops.push(() => stopGateway(app, stopTimings(config)));
    const { port } = app.server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      keys,
      mode: { database: config.DATABASE_URL ? 'external' : 'embedded', transport: config.NATS_URL ? 'nats' : 'in-process' },
      async stopService(name) {
        const handle = serving.get(name);
        if (!handle) throw new Error(`${name} is not served over NATS`);
        serving.delete(name);
        await handle.drain();
      },
      async resumeService(name) {
        const service = services.find((candidate) => candidate.name === name);
        if (!nats || !service || serving.has(name)) throw new Error(`${name} is not stopped on NATS`);
        serving.set(name, await serveOverNats(nats[name], service, logs[name]));
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
