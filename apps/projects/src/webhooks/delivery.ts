import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Counter, Gauge } from 'prom-client';
import { SERVICE_SUBSCRIPTIONS } from '@atrium/contract';
import type { DomainEvent } from '@atrium/contract';
import { startEventConsumer, transactionRows } from '@atrium/service-runtime';
import type { EventSource, EventSubscription, Logger, Metrics, SecretCipher } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA } from '../schema.js';
import type { WebhookSettings } from './env.js';
import { signingSecrets } from './secrets.js';
import type { SealedSecrets } from './secrets.js';
import { sendWebhook } from './sender.js';
import type { SendResult } from './sender.js';
import { signatureHeader } from './signing.js';

const deliveries = `"${PROJECTS_SCHEMA}"."webhook_deliveries"`;
const webhooks = `"${PROJECTS_SCHEMA}"."webhooks"`;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DEFAULT_POLL_MS = 500;
/** How long past its time-out a claimed delivery stays claimed: after that (its sender died) another takes it. */
const CLAIM_MARGIN_MS = 60_000;

/**
 * The `projects_webhooks` consumer's handler: one pending delivery (attempt 1, due now) for each
 * webhook of an event's project whose filter takes it — the events of a batch in one statement,
 * in the consumer's transaction, so an event is either marked handled with its deliveries
 * recorded, or neither. The body is made here once: every attempt sends the same bytes.
 */
export async function recordWebhookDeliveries(events: readonly DomainEvent[], em: EntityManager): Promise<number> {
  const inserted = await transactionRows<{ id: string }>(
    em,
    `insert into ${deliveries} (id, webhook_id, project_id, event_id, event_type, attempt, status, body, next_attempt_at, created_at)
     select gen_random_uuid(), w.id, w.project_id, e.event_id, e.event_type, 1, 'pending', e.body, now(), now()
       from unnest(?::uuid[], ?::text[], ?::text[], ?::uuid[]) as e (event_id, event_type, body, project_id)
       join ${webhooks} w on w.project_id = e.project_id and (cardinality(w.events) = 0 or e.event_type = any(w.events))
     on conflict do nothing returning id`,
    [
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => JSON.stringify({ type: event.type, timestamp: event.occurred_at, data: event.data })),
      events.map((event) => event.data.project_id ?? null),
    ],
  );
  return inserted.length;
}

interface ClaimedRow extends SealedSecrets {
  id: string;
  webhook_id: string;
  project_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  body: string;
  url: string;
}

export interface WebhookDeliveryOptions {
  orm: MikroORM;
  source: EventSource;
  cipher: SecretCipher;
  settings: WebhookSettings;
  log: Logger;
  metrics?: Metrics;
  /** The delivery log is kept as long as the audit trail. */
  retainMs: number;
}

interface WebhookMetrics {
  outcome(outcome: 'succeeded' | 'retried' | 'failed'): void;
}

/** Deliveries by outcome, and the queue's backlog and oldest pending delivery, read at each scrape. */
function webhookMetrics(orm: MikroORM, metrics: Metrics | undefined): WebhookMetrics {
  if (!metrics) return { outcome: () => undefined };
  const delivered = new Counter({
    name: 'atrium_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: succeeded (2xx), retried (failed, another attempt scheduled), failed (the last attempt failed)',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  let last = { backlog: 0, oldest: 0 };
  const read = async () => {
    const [row] = await orm.em
      .fork()
      .execute<{ backlog: string; oldest: number | null }[]>(
        `select count(*) as backlog, extract(epoch from now() - min(created_at))::float8 as oldest from ${deliveries} where status = 'pending'`,
      );
    last = { backlog: Number(row?.backlog ?? 0), oldest: Math.max(0, row?.oldest ?? 0) };
  };
  // A scrape waits at most a second for the database; past that the gauges keep their last values.
  // Both gauges are collected at once: they share one read.
  let reading: Promise<unknown> | undefined;
  const refresh = () =>
    (reading ??= Promise.race([read().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).finally(() => {
      reading = undefined;
    }));
  new Gauge({
    name: 'atrium_webhook_backlog',
    help: 'Webhook deliveries pending (due, waiting for a retry, or in flight)',
    registers: [metrics.registry],
    async collect() {
      await refresh();
      this.set(last.backlog);
    },
  });
  new Gauge({
    name: 'atrium_webhook_oldest_pending_seconds',
    help: 'Age of the oldest pending webhook delivery, in seconds (0 when none is pending)',
    registers: [metrics.registry],
    async collect() {
      await refresh();
      this.set(last.oldest);
    },
  });
  return { outcome: (outcome) => delivered.inc({ outcome }) };
}

/**
 * Webhook delivery, at least once: the `projects_webhooks` durable consumer records pending
 * deliveries in PostgreSQL (see recordWebhookDeliveries), and a worker sends them. The worker
 * claims due rows with `for update skip locked` (several instances share the queue; a claim is a
 * lease: a sender that dies mid-delivery leaves its row to be taken again once the lease lapses)
 * and sends them outside any transaction, at most `concurrency` at a time in the process and
 * `concurrencyPerProject` for one project — a slow or dead endpoint (each attempt bounded by
 * `timeoutMs`) holds up only its own project's deliveries. A failed attempt is recorded and,
 * while the retry schedule lasts, followed by a pending row for the next attempt; the last one
 * failing marks the delivery failed.
 */
export async function startWebhookDelivery(options: WebhookDeliveryOptions): Promise<EventSubscription> {
  const { orm, settings, cipher } = options;
  const log = options.log.child({ component: 'webhooks' });
  const count = webhookMetrics(orm, options.metrics);
  const perProject = new Map<string, number>();
  let inFlight = 0;
  let stopping = false;
  let ticking = false;
  let again = false;
  let current: Promise<void> | undefined;
  const running = new Set<Promise<void>>();
  const leaseMs = settings.timeoutMs + CLAIM_MARGIN_MS;

  /** Due rows, oldest first, leaving out projects at their bound; each claimed by pushing its due time past the lease. */
  const claim = async (room: number): Promise<ClaimedRow[]> => {
    const full = [...perProject].filter(([, n]) => n >= settings.concurrencyPerProject).map(([project]) => project);
    return orm.em.fork().transactional(async (em) => {
      const due = await em.execute<ClaimedRow[]>(
        `select d.id, d.webhook_id, d.project_id, d.event_id, d.event_type, d.attempt, d.body, w.url,
                w.secret_ciphertext, w.secret_key_id, w.previous_secret_ciphertext, w.previous_secret_key_id, w.previous_secret_expires_at
           from ${deliveries} d join ${webhooks} w on w.id = d.webhook_id
          where d.status = 'pending' and d.next_attempt_at <= now() and not (d.project_id = any(string_to_array(?, ',')::uuid[]))
          order by d.next_attempt_at
          limit ?
          for update of d skip locked`,
        [full.join(','), room * 4],
      );
      const taken: ClaimedRow[] = [];
      const planned = new Map<string, number>();
      for (const row of due) {
        if (taken.length >= room) break;
        const busy = (perProject.get(row.project_id) ?? 0) + (planned.get(row.project_id) ?? 0);
        if (busy >= settings.concurrencyPerProject) continue;
        planned.set(row.project_id, (planned.get(row.project_id) ?? 0) + 1);
        taken.push(row);
      }
      if (taken.length > 0)
        await em.execute(
          `update ${deliveries} set next_attempt_at = now() + ? * interval '1 millisecond' where id = any(string_to_array(?, ',')::uuid[])`,
          [leaseMs, taken.map((row) => row.id).join(',')],
        );
      return taken;
    });
  };

  const record = async (row: ClaimedRow, result: SendResult) => {
    const retryInMs = result.ok ? undefined : settings.retryScheduleMs[row.attempt - 1];
    await orm.em.fork().transactional(async (em) => {
      // The webhook first, then its delivery rows: the order a deletion takes them in (the row, then
      // its deliveries by the cascade). The other way round, the next attempt's foreign key check
      // would wait for a deletion that waits for this row: a deadlock.
      const [webhook] = await em.execute<{ id: string }[]>(`select id from ${webhooks} where id = ? for key share`, [row.webhook_id]);
      if (!webhook) return;
      const updated = await em.execute<{ id: string }[]>(
        `update ${deliveries} set status = ?, response_status = ?, error = ?, duration_ms = ?, next_attempt_at = null
          where id = ? and status = 'pending' returning id`,
        [result.ok ? 'succeeded' : 'failed', result.status, result.error, result.durationMs, row.id],
      );
      // Gone (its webhook deleted) or already recorded (a lapsed lease): nothing follows.
      if (updated.length === 0 || retryInMs === undefined) return;
      await em.execute(
        `insert into ${deliveries} (id, webhook_id, project_id, event_id, event_type, attempt, status, body, next_attempt_at, created_at)
         select gen_random_uuid(), webhook_id, project_id, event_id, event_type, attempt + 1, 'pending', body, now() + ? * interval '1 millisecond', now()
           from ${deliveries} where id = ?
         on conflict do nothing`,
        [retryInMs, row.id],
      );
    });
    count.outcome(result.ok ? 'succeeded' : retryInMs === undefined ? 'failed' : 'retried');
    if (!result.ok)
      log[retryInMs === undefined ? 'warn' : 'info'](
        { webhookId: row.webhook_id, eventId: row.event_id, attempt: row.attempt, status: result.status, error: result.error, retryInMs },
        retryInMs === undefined ? 'webhook delivery failed: no retries left' : 'webhook delivery failed: will retry',
      );
  };

  const deliver = async (row: ClaimedRow) => {
    let result: SendResult;
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const secrets = signingSecrets(cipher, row.webhook_id, row);
      result = await sendWebhook({
        url: row.url,
        body: row.body,
        timeoutMs: settings.timeoutMs,
        allowPrivate: settings.allowPrivateUrls,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Atrium-Webhooks/1',
          'webhook-id': row.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, row.event_id, timestamp, row.body),
        },
      });
    } catch (error) {
      result = { ok: false, status: null, error: String(error), durationMs: 0 };
    }
    // Not recorded (the database away): the lease lapses and the delivery is made again — at least once.
    await record(row, result).catch((error: unknown) => log.warn({ err: error, deliveryId: row.id }, 'webhook delivery: recording failed'));
  };

  const start = (row: ClaimedRow) => {
    inFlight++;
    perProject.set(row.project_id, (perProject.get(row.project_id) ?? 0) + 1);
    const run = deliver(row).finally(() => {
      inFlight--;
      const left = (perProject.get(row.project_id) ?? 1) - 1;
      if (left > 0) perProject.set(row.project_id, left);
      else perProject.delete(row.project_id);
      running.delete(run);
      wake();
    });
    running.add(run);
  };

  /** Claims and starts what there is room for; runs once at a time (a wake meanwhile runs it again). */
  const tick = async () => {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        const room = settings.concurrency - inFlight;
        if (stopping || room <= 0) break;
        const rows = await claim(room);
        for (const row of rows) start(row);
        if (rows.length === room) again = true;
      } while (again && !stopping);
    } catch (error) {
      log.warn({ err: error }, 'webhook delivery: claiming failed');
    } finally {
      ticking = false;
    }
  };
  const wake = () => {
    if (stopping) return;
    if (ticking) again = true;
    else current = tick();
  };

  const subscription = await startEventConsumer(options.source, {
    service: 'projects',
    purpose: 'webhooks',
    types: SERVICE_SUBSCRIPTIONS.projects.consumers.webhooks,
    handle: async (events, em) => {
      if ((await recordWebhookDeliveries(events, em)) > 0) setTimeout(wake, 20).unref();
    },
    orm,
    schema: PROJECTS_SCHEMA,
    log: options.log,
    metrics: options.metrics,
  });
  const poll = setInterval(wake, settings.pollIntervalMs ?? DEFAULT_POLL_MS);
  poll.unref();
  const prune = () =>
    orm.em
      .fork()
      .execute(`delete from ${deliveries} where created_at < ? and status <> 'pending'`, [new Date(Date.now() - options.retainMs)])
      .catch((error: unknown) => log.warn({ err: error }, 'webhook delivery log: prune failed'));
  void prune();
  const pruning = setInterval(prune, PRUNE_EVERY_MS);
  pruning.unref();
  wake();
  return {
    async stop() {
      stopping = true;
      clearInterval(poll);
      clearInterval(pruning);
      await subscription.stop();
      await current;
      // In-flight deliveries end within their time-out; a row not recorded is sent again after its lease.
      await Promise.allSettled([...running]);
    },
  };
}
