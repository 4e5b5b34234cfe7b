import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { consumerName, parseDomainEvent } from '@atrium/contract';
import type { DomainEvent, EventType } from '@atrium/contract';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Delivery, DeliveryOutcome, EventSource, EventSubscription } from './source.js';

/** Runs inside the consumer's transaction: write through `em` and the change and the "handled" mark commit together. */
export type DomainEventHandler = (event: DomainEvent, em: EntityManager) => Promise<void>;

export interface EventConsumerOptions {
  /** The consuming service and what this consumer is for: the durable consumer is `<service>_<purpose>`. */
  service: string;
  purpose: string;
  types: readonly EventType[];
  handle: DomainEventHandler;
  orm: MikroORM;
  /** The service's schema, where `processed_events` and `event_dead_letters` are (`eventConsumerTablesSql`). */
  schema: string;
  log: Logger;
  metrics?: Metrics;
  /** Deliveries before an event is dead-lettered (8: about a minute and a half of retries). */
  maxDeliveries?: number;
}

/** The wait before delivery n+1 after n failed: 1 s, 2 s, 4 s … up to 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(1000 * 2 ** (deliveryCount - 1), 30_000);
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
 * - a failure is retried with a growing delay (`redeliveryDelayMs`) up to `maxDeliveries`, and
 *   then — or at once for a body that is not an event — the event is dead-lettered: logged at
 *   error, written to `event_dead_letters` (counted in /metrics and /readyz) and never retried.
 */
export async function startEventConsumer(source: EventSource, options: EventConsumerOptions): Promise<EventSubscription> {
  const consumer = consumerName(options.service, options.purpose);
  const maxDeliveries = options.maxDeliveries ?? 8;
  const wanted = new Set<string>(options.types);
  const log = options.log.child({ consumer });
  const count = (outcome: string) => options.metrics?.eventsHandled.inc({ service: options.service, consumer, outcome });

  const deadLetter = async (delivery: Delivery, error: unknown, eventId: string | null): Promise<DeliveryOutcome> => {
    const message = error instanceof Error ? error.message : String(error);
    log.error({ err: error, subject: delivery.subject, eventId, deliveries: delivery.deliveryCount }, 'event dead-lettered: it will not be retried');
    await options.orm.em.fork().execute(
      `insert into "${options.schema}"."event_dead_letters" (id, consumer, event_id, subject, body, error, deliveries, failed_at)
       values (?, ?, ?, ?, ?, ?, ?, now())`,
      [randomUUID(), consumer, eventId, delivery.subject, JSON.stringify(delivery.body), message.slice(0, 1000), delivery.deliveryCount],
    );
    count('dead_letter');
    return { drop: true };
  };

  const table = `"${options.schema}"."processed_events"`;

  /** What a delivery is before any transaction: nothing to do, a dead letter, or an event to apply. */
  const screen = async (delivery: Delivery): Promise<DeliveryOutcome | DomainEvent> => {
    if (!wanted.has(delivery.type)) return { ack: true };
    let event: DomainEvent;
    try {
      event = parseDomainEvent(delivery.body);
    } catch (error) {
      return deadLetter(delivery, error, null);
    }
    // Past its last delivery (its handler kept failing, or killed its process): give up on it.
    if (delivery.deliveryCount > maxDeliveries) return deadLetter(delivery, new Error('too many deliveries'), event.id);
    return event;
  };

  /**
   * Applies events in one transaction: marks them all handled in one statement, then runs the
   * handler for each one the mark found new, in order. Resolves with how many were new.
   */
  const apply = (events: readonly DomainEvent[]) =>
    options.orm.em.fork().transactional(async (em) => {
      const marked = await em.execute<{ event_id: string }[]>(
        `insert into ${table} (consumer, event_id, processed_at) values ${events.map(() => '(?, ?, now())').join(', ')}
         on conflict do nothing returning event_id`,
        events.flatMap((event) => [consumer, event.id]),
      );
      const fresh = new Set(marked.map((row) => row.event_id.toLowerCase()));
      // An event delivered twice in one batch is marked (and handled) once.
      for (const event of events) if (fresh.delete(event.id.toLowerCase())) await options.handle(event, em);
      return marked.length;
    });

  const applyOne = async (delivery: Delivery, event: DomainEvent): Promise<DeliveryOutcome> => {
    try {
      count((await apply([event])) === 1 ? 'ok' : 'duplicate');
      return { ack: true };
    } catch (error) {
      if (delivery.deliveryCount >= maxDeliveries) return deadLetter(delivery, error, event.id);
      const retryInMs = redeliveryDelayMs(delivery.deliveryCount);
      log.warn({ err: error, eventId: event.id, type: event.type, deliveries: delivery.deliveryCount, retryInMs }, 'event handling failed: will retry');
      count('retry');
      return { retryInMs };
    }
  };

  /**
   * Deliveries that arrived together share one transaction (one commit for the lot, still one
   * `processed_events` row per event); if any of them fails, that transaction rolls back as a
   * whole and each is applied again on its own, so one failing event is retried or
   * dead-lettered alone and never holds back the others.
   */
  const handle = async (deliveries: readonly Delivery[]): Promise<DeliveryOutcome[]> => {
    const outcomes: DeliveryOutcome[] = [];
    const toApply: { index: number; delivery: Delivery; event: DomainEvent }[] = [];
    for (const [index, delivery] of deliveries.entries()) {
      const screened = await screen(delivery);
      if ('id' in screened) toApply.push({ index, delivery, event: screened });
      else outcomes[index] = screened;
    }
    if (toApply.length > 1) {
      const applied = await apply(toApply.map(({ event }) => event)).catch(() => undefined);
      if (applied !== undefined) {
        for (let i = 0; i < toApply.length; i++) count(i < applied ? 'ok' : 'duplicate');
        for (const { index } of toApply) outcomes[index] = { ack: true };
        return outcomes;
      }
    }
    for (const { index, delivery, event } of toApply) outcomes[index] = await applyOne(delivery, event);
    return outcomes;
  };

  return source.consume(consumer, options.types, handle);
}

/** Dead letters per consumer of a service's schema (for /metrics and the health check). */
export async function deadLetterCounts(em: EntityManager, schema: string): Promise<Record<string, number>> {
  const rows = await em.execute<{ consumer: string; count: string }[]>(
    `select consumer, count(*) as count from "${schema}"."event_dead_letters" group by consumer`,
  );
  return Object.fromEntries(rows.map((row) => [row.consumer, Number(row.count)]));
}
