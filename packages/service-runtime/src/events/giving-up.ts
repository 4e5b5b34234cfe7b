import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { DomainEvent } from '@atrium/contract';
import type { Logger } from '../logger.js';
import { isPoolTimeout } from '../orm-errors.js';
import { OVERLOAD } from './event-attempts.js';
import type { Overload } from './event-attempts.js';
import type { Delivery, DeliveryOutcome } from './source.js';

/** The wait before delivery n+1 after n failed (or were deferred): 1 s, 2 s, 4 s … up to 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(1000 * 2 ** (deliveryCount - 1), 30_000);
}

export type Attempted = DeliveryOutcome | Overload;
/** A delivery deferred for overload (its event unknown when even its dead letter found no connection). */
export interface Deferred {
  index: number;
  delivery: Delivery;
  event?: DomainEvent;
}

export interface GivingUpOptions {
  orm: MikroORM;
  schema: string;
  consumer: string;
  log: Logger;
  /** Counts an outcome in `atrium_events_handled_total`. */
  count(outcome: string): void;
  /** Forgets an event's attempts (`EventAttempts.forgetSql`): with its dead letter. */
  forgetSql: string;
  maxAttempts: number;
  maxDeferrals: number;
}

/** How a consumer gives up on a delivery — for good, or until later — and says so. */
export function givingUp(options: GivingUpOptions) {
  const { consumer, log, count, maxAttempts, maxDeferrals } = options;
  /** JetStream counts every delivery; past this many, at least `maxDeferrals` were deferrals (or ran out their acknowledgement time). */
  const pastTheBound = (delivery: Delivery) => delivery.deliveryCount > maxAttempts + maxDeferrals;

  /** Gives up on a delivery for good — unless no connection comes free to write its dead letter: then it is deferred. */
  const deadLetter = async (delivery: Delivery, error: unknown, eventId: string | null): Promise<Attempted> => {
    const message = error instanceof Error ? error.message : String(error);
    try {
      await options.orm.em.fork().execute(
        `with forgotten as (${options.forgetSql})
         insert into "${options.schema}"."event_dead_letters" (id, consumer, event_id, subject, body, error, deliveries, failed_at)
         values (?, ?, ?, ?, ?, ?, ?, now())`,
        [
          consumer,
          eventId,
          randomUUID(),
          consumer,
          eventId,
          delivery.subject,
          JSON.stringify(delivery.body),
          message.slice(0, 1000),
          delivery.deliveryCount,
        ],
      );
    } catch (writing) {
      if (isPoolTimeout(writing)) return OVERLOAD;
      throw writing;
    }
    log.error(
      { err: error, subject: delivery.subject, eventId, deliveries: delivery.deliveryCount },
      'event dead-lettered: it will not be retried',
    );
    count('dead_letter');
    return { drop: true };
  };

  /**
   * Settles the deliveries deferred for want of a connection: each delivered again after the
   * growing delay — unless it is past its bound, then dead-lettered saying why (for as long as
   * a connection comes free for the dead letters; the rest are deferred again, logged at error).
   */
  const defer = async (deferred: readonly Deferred[], outcomes: DeliveryOutcome[]): Promise<void> => {
    const stillDeferred: Deferred[] = [];
    let writable = true;
    for (const item of deferred) {
      if (writable && pastTheBound(item.delivery)) {
        const reason = new Error(
          `no database connection came free for it in ${item.delivery.deliveryCount} deliveries, more than its ${maxAttempts} attempts and ${maxDeferrals} deferrals allowed`,
        );
        const outcome = await deadLetter(item.delivery, reason, item.event?.id ?? null);
        if (outcome !== OVERLOAD) {
          outcomes[item.index] = outcome;
          continue;
        }
        writable = false;
      }
      stillDeferred.push(item);
    }
    if (stillDeferred.length === 0) return;
    for (const { index, delivery } of stillDeferred) {
      outcomes[index] = { retryInMs: redeliveryDelayMs(delivery.deliveryCount) };
      count('deferred');
    }
    const eventIds = (items: readonly Deferred[]) => items.map(({ event }) => event?.id ?? null);
    log.warn(
      {
        events: stillDeferred.length,
        eventIds: eventIds(stillDeferred),
        retryInMs: redeliveryDelayMs(stillDeferred[0]!.delivery.deliveryCount),
      },
      'no database connection came free in time: events deferred, not counted as failed attempts',
    );
    const unwritten = stillDeferred.filter(({ delivery }) => pastTheBound(delivery));
    if (unwritten.length > 0) {
      log.error(
        { events: unwritten.length, eventIds: eventIds(unwritten), deliveries: unwritten.map(({ delivery }) => delivery.deliveryCount) },
        'events deferred past their bound, and no database connection came free for their dead letters: deferred again',
      );
    }
  };

  return { deadLetter, defer };
}
