import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { consumerName, parseDomainEvent } from '@atrium/contract';
import type { DomainEvent, EventType } from '@atrium/contract';
import type { Logger } from '../logger.js';
import { transactionRows } from '../reads.js';
import type { Metrics } from '../metrics.js';
import { OVERLOAD, eventAttempts } from './event-attempts.js';
import type { CountedAttempt } from './event-attempts.js';
import { givingUp, redeliveryDelayMs } from './giving-up.js';
import type { Attempted, Deferred } from './giving-up.js';
import type { Delivery, DeliveryOutcome, EventSource, EventSubscription } from './source.js';
import { SpanKind, inSpan, linkTo, startSpan, tracingOn } from '@atrium/telemetry';
import type { Link } from '@atrium/telemetry';

/**
 * Handles the new events of a batch, in order (often one; a redelivery always alone), inside
 * the consumer's transaction: write through `em` and the change and the "handled" marks commit
 * together. Events that arrived together come together, so a handler can write them all in one
 * statement.
 */
export type DomainEventHandler = (events: readonly DomainEvent[], em: EntityManager) => Promise<void>;

/** A handler that takes the events of a batch one at a time, in order, on the same transaction. */
export function eachEvent(handle: (event: DomainEvent, em: EntityManager) => Promise<void>): DomainEventHandler {
  return async (events, em) => {
    for (const event of events) await handle(event, em);
  };
}

export interface EventConsumerOptions {
  /** The consuming service and what this consumer is for: the durable consumer is `<service>_<purpose>`. */
  service: string;
  purpose: string;
  types: readonly EventType[];
  handle: DomainEventHandler;
  orm: MikroORM;
  /** The service's schema, where `processed_events`, `event_attempts` and `event_dead_letters` are. */
  schema: string;
  log: Logger;
  metrics?: Metrics;
  /**
   * Attempts whose handler ran — and failed, or never finished — before an event is
   * dead-lettered (8: about a minute and a half of retries). A delivery deferred because no
   * database connection came free for the attempt to run on is no attempt; a handler that itself
   * waits in vain for a further connection has failed its attempt.
   */
  maxAttempts?: number;
  /**
   * Deliveries deferred for want of a connection before an event is given up on (2,880: a day at
   * the 30 s delay): one delivered more than `maxAttempts + maxDeferrals` times that again finds
   * no connection is dead-lettered, saying so, rather than deferred once more — nothing is
   * retried for ever, silently.
   */
  maxDeferrals?: number;
}

/** How long a source keeps events unless it says (`EventSource.retainMs`): EVENTS_MAX_AGE_DAYS' default. */
const DEFAULT_RETAIN_MS = 30 * 24 * 60 * 60 * 1000;

interface Pending extends Deferred {
  event: DomainEvent;
}

/**
 * A service's durable consumer of other services' events, the one way every service consumes:
 *
 * - each event runs in a transaction that first marks it handled in `processed_events`
 *   (`on conflict do nothing`: a redelivery of a handled event does nothing) and then runs the
 *   handler on the same EntityManager, so the mark and the handler's writes commit together;
 *   events that arrived together share that transaction (one commit for the lot), and should
 *   one of them fail, each is applied again in a transaction of its own;
 * - the delivery is acknowledged only after that commit (a crash before it redelivers);
 * - a failure is retried with a growing delay (`redeliveryDelayMs`) until `maxAttempts`
 *   attempts have failed or never finished (counted in `event_attempts`, see event-attempts.ts), and
 *   then — or at once for a body that is not an event — the event is dead-lettered: logged at
 *   error, written to `event_dead_letters` (counted in /metrics and /readyz) and never retried;
 * - a delivery whose attempt finds no free database connection to run on within the pool's wait
 *   is overload: it and every delivery of its batch not yet applied are deferred (delivered again
 *   after the same growing delay) without trying them, logged at warn as overload and never
 *   counted as attempts. Once the attempt has its connection, whatever fails is the event's —
 *   a wait of its handler's for a further connection included. Deferrals have a bound too
 *   (`maxDeferrals`): past it, the event is dead-lettered instead, with the reason.
 */
export async function startEventConsumer(source: EventSource, options: EventConsumerOptions): Promise<EventSubscription> {
  const consumer = consumerName(options.service, options.purpose);
  const maxAttempts = options.maxAttempts ?? 8;
  const maxDeferrals = options.maxDeferrals ?? 2880;
  const wanted = new Set<string>(options.types);
  const log = options.log.child({ consumer });
  const count = (outcome: string) => options.metrics?.eventsHandled.inc({ service: options.service, consumer, outcome });
  const attempts = eventAttempts(options.orm, options.schema, consumer);
  const { deadLetter, defer } = givingUp({
    orm: options.orm,
    schema: options.schema,
    consumer,
    log,
    count,
    forgetSql: attempts.forgetSql,
    maxAttempts,
    maxDeferrals,
  });

  /**
   * What a delivery is before any transaction: nothing to do, a dead letter, or an event to
   * apply. Once its batch has met overload (`deferring`), a body to dead-letter is deferred
   * instead: its dead letter would only wait out the pool's time-out in vain.
   */
  const screen = async (delivery: Delivery, deferring: boolean): Promise<Attempted | DomainEvent> => {
    if (!wanted.has(delivery.type)) return { ack: true };
    try {
      return parseDomainEvent(delivery.body);
    } catch (error) {
      return deferring ? OVERLOAD : deadLetter(delivery, error, null);
    }
  };

  /**
   * Applies events in `em`'s transaction: marks them all handled in one statement, then runs the
   * handler once on those the mark found new, in order. Resolves with how many were new.
   */
  const applyIn = async (em: EntityManager, events: readonly DomainEvent[]): Promise<number> => {
    const marked = await transactionRows<{ event_id: string }>(
      em,
      `insert into "${options.schema}"."processed_events" (consumer, event_id, processed_at)
       select ?, event_id, now() from unnest(?::uuid[]) as event_id on conflict do nothing returning event_id`,
      [consumer, events.map((event) => event.id)],
    );
    const fresh = new Set(marked.map((row) => row.event_id.toLowerCase()));
    // An event delivered twice in one batch is marked (and handled) once.
    const handled = events.filter((event) => fresh.delete(event.id.toLowerCase()));
    if (handled.length > 0) await options.handle(handled, em);
    return marked.length;
  };

  /** After attempt number `attempt` failed: retried after a growing delay, or dead-lettered if it was the last allowed. */
  const failed = (delivery: Delivery, event: DomainEvent, error: unknown, attempt: number): Attempted | Promise<Attempted> => {
    if (attempt >= maxAttempts) return deadLetter(delivery, error, event.id);
    const retryInMs = redeliveryDelayMs(attempt);
    log.warn(
      { err: error, eventId: event.id, type: event.type, attempt, deliveries: delivery.deliveryCount, retryInMs },
      'event handling failed: will retry',
    );
    count('retry');
    return { retryInMs };
  };

  /** What an attempt at one event comes to. */
  const settled = (delivery: Delivery, event: DomainEvent, result: CountedAttempt<number>): Attempted | Promise<Attempted> => {
    if (result === OVERLOAD) return OVERLOAD;
    if ('abandoned' in result) {
      // The latest attempt failed and its dead letter did not get through (no connection for it, say), or it never finished.
      const error = result.lastError ?? `${result.abandoned} attempts in all; the last began and never finished`;
      return deadLetter(delivery, new Error(error), event.id);
    }
    if ('failed' in result) return failed(delivery, event, result.failed, result.attempt);
    count(result.done === 1 ? 'ok' : 'duplicate');
    return { ack: true };
  };

  /** A first delivery on its own: its attempt is counted only if it fails (the usual path writes nothing more). */
  const applyFirst = async (delivery: Delivery, event: DomainEvent): Promise<Attempted> =>
    settled(delivery, event, await attempts.first(event.id, (em) => applyIn(em, [event])));

  /** A redelivery: its attempt counted before its handler runs (see `EventAttempts.again`), forgotten when it succeeds. */
  const applyAgain = async (delivery: Delivery, event: DomainEvent): Promise<Attempted> =>
    settled(
      delivery,
      event,
      await attempts.again(event.id, maxAttempts, async (em) => {
        const fresh = await applyIn(em, [event]);
        await em.execute(attempts.forgetSql, [consumer, event.id]);
        return fresh;
      }),
    );

  /**
   * Redeliveries first, each on its own: each was delivered before any event here delivered for
   * the first time (JetStream delivers in stream order). First deliveries that arrived together
   * share one transaction (still one `processed_events` row each); if it fails, it rolls back as
   * a whole and each is applied again on its own, so one failing event is retried or
   * dead-lettered alone and never holds back the others. Once one attempt (or dead letter) finds
   * no connection, the rest are deferred untried — each would wait the pool's whole time-out in
   * vain — but for types this consumer does not take, acknowledged as ever (no connection needed).
   */
  const handle = async (deliveries: readonly Delivery[]): Promise<DeliveryOutcome[]> => {
    const outcomes: DeliveryOutcome[] = [];
    const deferred: Deferred[] = [];
    const again: Pending[] = [];
    let first: Pending[] = [];
    for (const [index, delivery] of deliveries.entries()) {
      const screened = await screen(delivery, deferred.length > 0);
      if (screened === OVERLOAD) deferred.push({ index, delivery });
      else if (!('id' in screened)) outcomes[index] = screened;
      else (delivery.deliveryCount > 1 ? again : first).push({ index, delivery, event: screened });
    }
    const settle = async (pending: readonly Pending[], attempt: (delivery: Delivery, event: DomainEvent) => Promise<Attempted>) => {
      for (const item of pending) {
        const outcome = deferred.length > 0 ? OVERLOAD : await attempt(item.delivery, item.event);
        if (outcome === OVERLOAD) deferred.push(item);
        else outcomes[item.index] = outcome;
      }
    };
    await settle(again, applyAgain);
    if (deferred.length === 0 && first.length > 1) {
      const together = await attempts.together((em) =>
        applyIn(
          em,
          first.map(({ event }) => event),
        ),
      );
      if (together === OVERLOAD) {
        deferred.push(...first.splice(0));
      } else if ('done' in together) {
        for (let i = 0; i < first.length; i++) count(i < together.done ? 'ok' : 'duplicate');
        for (const { index } of first) outcomes[index] = { ack: true };
        first = [];
      }
      // After any other failure each is applied again on its own, below.
    }
    await settle(first, applyFirst);
    if (deferred.length > 0) await defer(deferred, outcomes);
    return outcomes;
  };

  /**
   * While tracing is on, deliveries that arrived together are handled in one consumer span (their
   * transaction's statements inside), a trace of its own linked to each event's publishing span —
   * itself a child of the span that recorded the event.
   */
  const traced = (deliveries: readonly Delivery[]): Promise<DeliveryOutcome[]> => {
    if (!tracingOn()) return handle(deliveries);
    const links = deliveries.map((delivery) => linkTo(delivery.trace)).filter((link): link is Link => link !== undefined);
    const span = startSpan('@atrium/service-runtime', `process ${consumer}`, {
      kind: SpanKind.CONSUMER,
      root: true,
      links,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': consumer,
        'messaging.batch.message_count': deliveries.length,
        'atrium.event_types': [...new Set(deliveries.map((delivery) => delivery.type))],
      },
    });
    return inSpan(span, () => handle(deliveries));
  };

  const subscription = await source.consume(consumer, options.types, traced);
  const pruning = attempts.pruneEvery(source.retainMs ?? DEFAULT_RETAIN_MS, log);
  return {
    async stop() {
      await pruning.stop();
      await subscription.stop();
    },
  };
}
