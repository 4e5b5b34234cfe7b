import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { isBrokerUnavailable } from '../broker-errors.js';
import { DrainLoop } from '../drain-loop.js';
import type { Logger } from '../logger.js';
import type { EventSink } from './sinks.js';
import { SpanKind, contextOf, inSpan, startSpan, traceHeaders } from '@atrium/telemetry';
import type { TraceCarrier } from '@atrium/telemetry';

/**
 * The outbox row's payload member holding the trace context of the span that recorded the event
 * (while tracing is on): kept with the row, sent as message headers, never part of the event.
 */
export const OUTBOX_TRACE_KEY = '$trace';

const BATCH_SIZE = 100;

export interface OutboxRelayOptions {
  schema: string;
  /** How often to look for unpublished events besides being nudged (after a crash, say). */
  pollIntervalMs?: number;
  /** A row that failed this many publishes is set aside (failed_at) so it stops blocking the rest. */
  maxAttempts?: number;
  /** Published rows are deleted after this long. */
  retainPublishedMs?: number;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: unknown;
  attempts: number;
}

/**
 * Moves committed outbox rows to the event sink, oldest first. Rows are claimed with
 * `for update skip locked`, so instances relay side by side without publishing a row twice.
 * The rows the sink acknowledged are marked published together, in the claiming transaction;
 * a failed publish ends the batch (what came before it stays published). A broker that is not
 * taking events is waited out; any other failure is counted on its row, and a row failing
 * `maxAttempts` times is set aside. A crash between an
 * acknowledgement and the commit re-publishes with the same message id, which JetStream drops
 * within its duplicate window.
 */
export class OutboxRelay {
  private lastPrune = 0;
  private readonly loop: DrainLoop;
  private readonly table: string;
  private readonly maxAttempts: number;
  private readonly retainPublishedMs: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly sink: EventSink,
    private readonly log: Logger,
    options: OutboxRelayOptions,
  ) {
    this.table = `"${options.schema}"."outbox"`;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.retainPublishedMs = options.retainPublishedMs ?? 7 * 24 * 60 * 60 * 1000;
    this.loop = new DrainLoop(() => this.drainOutbox(), options.pollIntervalMs ?? 1000, log, 'outbox relay: will retry');
  }

  start(): void {
    this.loop.start();
  }

  /** Publish what is pending now (called after a transaction that wrote events commits). */
  nudge(): void {
    this.loop.nudge();
  }

  /** Resolves once no batch is in progress; call before closing the sink's connection. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** How many rows wait to be published, and how many were set aside (for /metrics). */
  async counts(): Promise<{ backlog: number; setAside: number }> {
    const [row] = await this.orm.em.fork().execute<{ backlog: string; set_aside: string }[]>(
      `select count(*) filter (where failed_at is null) as backlog, count(*) filter (where failed_at is not null) as set_aside
         from ${this.table} where published_at is null`,
    );
    return { backlog: Number(row?.backlog ?? 0), setAside: Number(row?.set_aside ?? 0) };
  }

  /** Waits until everything committed so far has been handled (for tests and shutdown). */
  async settle(): Promise<void> {
    await this.loop.settle();
  }

  private async drainOutbox(): Promise<void> {
    while (!this.loop.stopped) {
      const { claimed, failed } = await this.relayBatch();
      if (failed || claimed < BATCH_SIZE) break;
    }
    await this.pruneOccasionally();
  }

  private async relayBatch(): Promise<{ claimed: number; failed: boolean }> {
    return this.orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select id, type, payload, attempts from ${this.table}
          where published_at is null and failed_at is null
          order by created_at, id limit ${BATCH_SIZE} for update skip locked`,
      );
      // Marked together, in one statement: the marks only count once the transaction commits
      // anyway, and the rows stay claimed (locked) until then.
      const published: string[] = [];
      for (const row of rows) {
        try {
          await this.publish(row);
        } catch (error) {
          await this.markPublished(em, published);
          if (isBrokerUnavailable(error)) {
            // Retried as it was at the next nudge or poll: a stream leader election under load
            // would otherwise use up an event's attempts in a fraction of a second.
            this.log.warn({ err: error, eventId: row.id, type: row.type }, 'outbox relay: the broker is not taking events right now');
            return { claimed: rows.length, failed: true };
          }
          const attempts = row.attempts + 1;
          const giveUp = attempts >= this.maxAttempts;
          await em.execute(`update ${this.table} set attempts = ?, last_error = ?${giveUp ? ', failed_at = now()' : ''} where id = ?`, [
            attempts,
            String(error instanceof Error ? error.message : error).slice(0, 1000),
            row.id,
          ]);
          this.log[giveUp ? 'error' : 'warn'](
            { err: error, eventId: row.id, type: row.type, attempts },
            giveUp ? 'outbox relay: event set aside' : 'outbox relay: publish failed',
          );
          return { claimed: rows.length, failed: true };
        }
        published.push(row.id);
      }
      await this.markPublished(em, published);
      return { claimed: rows.length, failed: false };
    });
  }

  /**
   * Publishes a row's event: the envelope as the body, and — when the row names the span that
   * recorded it — inside a producer span that is that span's child, whose context goes along as
   * the message's headers for the consumers to link to.
   */
  private async publish(row: OutboxRow): Promise<void> {
    const payload = row.payload as Record<string, unknown> | null;
    if (!payload || typeof payload !== 'object' || !(OUTBOX_TRACE_KEY in payload)) return this.sink.publish(row);
    const { [OUTBOX_TRACE_KEY]: recorded, ...envelope } = payload;
    const parent = contextOf(recorded as TraceCarrier);
    const span = parent
      ? startSpan('@atrium/service-runtime', `publish ${row.type}`, {
          kind: SpanKind.PRODUCER,
          parent,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'send',
            'messaging.message.id': row.id,
            'atrium.event_type': row.type,
          },
        })
      : undefined;
    await inSpan(span, () => this.sink.publish({ id: row.id, type: row.type, payload: envelope, trace: traceHeaders(span) }), parent);
  }

  private async markPublished(em: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await em.execute(`update ${this.table} set published_at = now() where id in (${ids.map(() => '?').join(', ')})`, [...ids]);
  }

  private async pruneOccasionally(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60 * 60 * 1000) return;
    this.lastPrune = now;
    await this.orm.em.fork().execute(`delete from ${this.table} where published_at < ?`, [new Date(now - this.retainPublishedMs)]);
  }
}
