import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServiceTransport } from '@atrium/nats-trpc';
import type { NatsConnection } from '@nats-io/transport-node';

/** Seconds: from a cached read (a few ms) to a call at its deadline. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface OutboxCounts {
  /** Rows waiting to be published. */
  backlog: number;
  /** Rows that failed too often and were set aside (they need a person). */
  setAside: number;
}

/** What the ORM's pool holds now (see `Metrics.observePool` and orm-pool.ts's `poolStats`). */
export interface PoolStats {
  /** Connections lent out: a statement, a transaction or a batched read runs on each. */
  inUse: number;
  /** Connections open and free. */
  idle: number;
  /** Acquisitions waiting for a connection (to come free, or to be opened). */
  waiting: number;
}

/**
 * How long a scrape waits for a gauge read from the database (outbox, dead letters, mail). The
 * reads share the service's pool: when it is exhausted — when the metrics matter most — each
 * would wait for a connection up to DB_ACQUIRE_TIMEOUT_MS, and the scrape with them (past
 * Prometheus's scrape time-out: no metrics at all). Past this, the gauge keeps its last value.
 */
export const SCRAPE_DATABASE_WAIT_MS = 1_000;

/** `read()`'s value, or undefined when it fails or takes longer than `SCRAPE_DATABASE_WAIT_MS`. */
async function withinScrape<T>(read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), SCRAPE_DATABASE_WAIT_MS);
  });
  try {
    return await Promise.race([read().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One process's metrics, in Prometheus's text format (prom-client). Histograms give both the
 * count and the latency of requests and calls; every process has its own registry (the
 * one-process mode shares one), so nothing is global.
 */
export interface Metrics {
  registry: Registry;
  /** Gateway: HTTP requests by operation (the contract's, or the route), method and status. */
  httpRequests: Histogram<'operation' | 'method' | 'status'>;
  /** Services: calls handled, by service, operation and outcome (`OK` or the tRPC error code). */
  serviceCalls: Histogram<'service' | 'operation' | 'outcome'>;
  /** Callers: calls made over the transport, by target service, operation and outcome. */
  outgoingCalls: Histogram<'service' | 'operation' | 'outcome'>;
  /**
   * Callers: copies of calls sent again (`unanswered`: an attempt budget passed without an
   * answer; `no-responders`: no instance was subscribed). A steady rate of `unanswered` with no
   * instance lost means the budget is below the service's real latency.
   */
  callRetries: Counter<'service' | 'operation' | 'reason'>;
  /** Reports a service's outbox on every scrape. */
  observeOutbox(service: string, counts: () => Promise<OutboxCounts>): void;
  /** Consumers: events handled, by outcome (`ok`, `duplicate`, `retry`, `deferred`: no database connection came free, `dead_letter`). */
  eventsHandled: Counter<'service' | 'consumer' | 'outcome'>;
  /**
   * Services: waits for a connection of the service's pool that ran out (`DB_ACQUIRE_TIMEOUT_MS`),
   * counted at the pool once start-up is done: one per wait, whoever waited — a call (a batched
   * read's one wait fails every call it serves), an event consumer, the relay, the mail sender, a
   * prune. Overload: raise `DB_POOL_MAX` or find the slow statements.
   */
  poolTimeouts: Counter<'service'>;
  /** Reports a service's dead letters per consumer on every scrape (they stay until a person acts). */
  observeDeadLetters(service: string, counts: () => Promise<Record<string, number>>): void;
  /** Mail senders: attempts to hand a queued mail to SMTP, by outcome (`sent`, `failed`: tried again later, `set_aside`: given up). */
  mailDeliveries: Counter<'service' | 'outcome'>;
  /** Reports a service's mail outbox on every scrape: mails waiting (`backlog`), and given up on (`setAside`). */
  observeMailOutbox(service: string, counts: () => Promise<OutboxCounts>): void;
  /**
   * Reports a service's database pool on every scrape: connections in use, idle, and callers
   * waiting for one (`stats` answers undefined once the pool is closed: nothing is reported then).
   */
  observePool(service: string, stats: () => PoolStats | undefined): void;
  /**
   * Follows an app's NATS connection: `atrium_nats_connected` (1 while connected, 0 while it is
   * disconnected and reconnecting, or closed) and `natsReconnects`.
   */
  observeNats(app: string, nc: NatsConnection): void;
  /** Apps: times the NATS connection was lost and made again (the broker restarted, a network cut, a move to another server). */
  natsReconnects: Counter<'app'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const outboxes = new Map<string, () => Promise<OutboxCounts>>();
  const latest = async (service: string) => withinScrape(outboxes.get(service)!);
  new Gauge({
    name: 'atrium_outbox_backlog',
    help: 'Outbox rows waiting to be published',
    labelNames: ['service'],
    registers: [registry],
    async collect() {
      for (const service of outboxes.keys()) {
        const counts = await latest(service);
        if (counts) this.set({ service }, counts.backlog);
      }
    },
  });
  new Gauge({
    name: 'atrium_outbox_set_aside',
    help: 'Outbox rows set aside after failing to publish too often',
    labelNames: ['service'],
    registers: [registry],
    async collect() {
      for (const service of outboxes.keys()) {
        const counts = await latest(service);
        if (counts) this.set({ service }, counts.setAside);
      }
    },
  });
  const deadLetters = new Map<string, () => Promise<Record<string, number>>>();
  new Gauge({
    name: 'atrium_event_dead_letters',
    help: 'Events a consumer gave up on (event_dead_letters rows), by service and consumer',
    labelNames: ['service', 'consumer'],
    registers: [registry],
    async collect() {
      for (const [service, counts] of deadLetters) {
        const byConsumer = await withinScrape(counts);
        for (const [consumer, count] of Object.entries(byConsumer ?? {})) this.set({ service, consumer }, count);
      }
    },
  });
  const mailOutboxes = new Map<string, () => Promise<OutboxCounts>>();
  const mailCounts = async (service: string) => withinScrape(mailOutboxes.get(service)!);
  new Gauge({
    name: 'atrium_mail_outbox_backlog',
    help: 'Mails queued and not sent yet (being retried included)',
    labelNames: ['service'],
    registers: [registry],
    async collect() {
      for (const service of mailOutboxes.keys()) {
        const counts = await mailCounts(service);
        if (counts) this.set({ service }, counts.backlog);
      }
    },
  });
  new Gauge({
    name: 'atrium_mail_outbox_set_aside',
    help: 'Mails given up on after their last attempt failed (they need a person)',
    labelNames: ['service'],
    registers: [registry],
    async collect() {
      for (const service of mailOutboxes.keys()) {
        const counts = await mailCounts(service);
        if (counts) this.set({ service }, counts.setAside);
      }
    },
  });
  const pools = new Map<string, () => PoolStats | undefined>();
  const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['service'],
      registers: [registry],
      collect() {
        for (const [service, stats] of pools) {
          const now = stats();
          if (now) this.set({ service }, read(now));
        }
      },
    });
  poolGauge(
    'atrium_db_pool_connections_in_use',
    "Connections of the service's database pool lent out now, by service",
    (stats) => stats.inUse,
  );
  poolGauge(
    'atrium_db_pool_connections_idle',
    "Connections of the service's database pool open and free now, by service",
    (stats) => stats.idle,
  );
  poolGauge(
    'atrium_db_pool_waiting',
    "Callers waiting now for a connection of the service's database pool (to come free or to be opened), by service",
    (stats) => stats.waiting,
  );
  const natsStates = new Map<string, () => number>();
  new Gauge({
    name: 'atrium_nats_connected',
    help: "1 while the app's NATS connection is up, 0 while it is down (reconnecting) or closed, by app",
    labelNames: ['app'],
    registers: [registry],
    collect() {
      for (const [app, state] of natsStates) this.set({ app }, state());
    },
  });
  const natsReconnects = new Counter({
    name: 'atrium_nats_reconnects_total',
    help: "Times the app's NATS connection was lost and made again, by app",
    labelNames: ['app'],
    registers: [registry],
  });
  return {
    registry,
    observePool(service, stats) {
      pools.set(service, stats);
    },
    natsReconnects,
    observeNats(app, nc) {
      let connected = true;
      natsStates.set(app, () => (connected && !nc.isClosed() ? 1 : 0));
      // The series exists from the start: a rate over it needs no first reconnect to begin.
      natsReconnects.inc({ app }, 0);
      // Ends when the connection closes (the client ends every status iterator then).
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect') connected = false;
          else if (status.type === 'reconnect') {
            connected = true;
            natsReconnects.inc({ app });
          }
        }
      })().catch(() => undefined);
    },
    mailDeliveries: new Counter({
      name: 'atrium_mail_deliveries_total',
      help: 'Attempts to hand a queued mail to the SMTP server, by outcome (sent, failed, set_aside)',
      labelNames: ['service', 'outcome'],
      registers: [registry],
    }),
    observeMailOutbox(service, counts) {
      mailOutboxes.set(service, counts);
    },
    eventsHandled: new Counter({
      name: 'atrium_events_handled_total',
      help: 'Event deliveries handled by a consumer, by outcome (ok, duplicate, retry, deferred, dead_letter)',
      labelNames: ['service', 'consumer', 'outcome'],
      registers: [registry],
    }),
    observeDeadLetters(service, counts) {
      deadLetters.set(service, counts);
    },
    poolTimeouts: new Counter({
      name: 'atrium_db_pool_timeouts_total',
      help: "Waits for a connection of the service's database pool that ran out (DB_ACQUIRE_TIMEOUT_MS), once each, whoever waited (calls, consumers, relay, mail, prunes), by service",
      labelNames: ['service'],
      registers: [registry],
    }),
    httpRequests: new Histogram({
      name: 'atrium_http_request_duration_seconds',
      help: 'HTTP requests served by the gateway, by operation, method and status',
      labelNames: ['operation', 'method', 'status'],
      buckets: BUCKETS,
      registers: [registry],
    }),
    serviceCalls: new Histogram({
      name: 'atrium_service_call_duration_seconds',
      help: 'Calls handled by a service, by operation and outcome',
      labelNames: ['service', 'operation', 'outcome'],
      buckets: BUCKETS,
      registers: [registry],
    }),
    outgoingCalls: new Histogram({
      name: 'atrium_outgoing_call_duration_seconds',
      help: 'Calls made to a service over NATS (or in process), by service, operation and outcome',
      labelNames: ['service', 'operation', 'outcome'],
      buckets: BUCKETS,
      registers: [registry],
    }),
    callRetries: new Counter({
      name: 'atrium_outgoing_call_retries_total',
      help: 'Copies of calls sent again, by service, operation and reason (unanswered, no-responders)',
      labelNames: ['service', 'operation', 'reason'],
      registers: [registry],
    }),
    observeOutbox(service, counts) {
      outboxes.set(service, counts);
    },
  };
}

/** The outcome label of a call: `OK`, or the error's tRPC code. */
export function callOutcomeLabel(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

/**
 * A small HTTP listener for processes that have no HTTP server of their own, the services:
 * `GET /metrics`, and the probes an orchestrator needs — `/healthz` (the process runs) and
 * `/readyz` (200 while `ready()` says it takes calls, 503 before and once it is stopping).
 * Resolves once listening.
 */
export async function serveMetrics(
  metrics: Metrics,
  port: number,
  host = '0.0.0.0',
  ready: () => boolean = () => true,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (request.method !== 'GET') {
      response.writeHead(404).end();
    } else if (path === '/healthz') {
      json(200, { status: 'ok' });
    } else if (path === '/readyz') {
      if (ready()) json(200, { status: 'ready' });
      else json(503, { status: 'not ready' });
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A transport that records every call's outcome and duration in `metrics.outgoingCalls`. */
export function observedTransport(transport: ServiceTransport, metrics: Metrics): ServiceTransport {
  return {
    async call(call, signal) {
      const end = metrics.outgoingCalls.startTimer({ service: call.service, operation: call.path });
      try {
        const output = await transport.call(call, signal);
        end({ outcome: 'OK' });
        return output;
      } catch (error) {
        end({ outcome: callOutcomeLabel(error) });
        throw error;
      }
    },
  };
}
