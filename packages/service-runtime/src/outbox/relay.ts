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

/** Ids as one PostgreSQL array literal: one bind value however many (knex would spread a JS array into a list). */
const uuidArray = (ids: Iterable<string>) => `{${[...ids].join(',')}}`;

export interface OutboxRelayOptions {
  schema: string;
  /** How often to look for unpublished events besides being nudged (after a crash, say). */
  pollIntervalMs?: number;
  /** A row that failed this many publishes is set aside (failed_at) so it stops blocking the rest. */
  maxAttempts?: number;
  /** Published rows are deleted after this long. */
  retainPublishedMs?: number;
}

/** A row of the outbox as the relay publishes it. */
export interface OutboxRow {
  id: string;
  type: string;
  payload: unknown;
  attempts: number;
}

/**
 * Moves committed outbox rows to the event sink, on two paths:
 *
 * - **right after the commit** (`publishCommitted`): the process that committed the events
 *   publishes them as they are in memory — no read of the outbox, no transaction — and marks
 *   them published afterwards, many at once (`update … where id = any(…)`, one statement for
 *   whatever was published while the previous mark ran). A publish that fails leaves its row to
 *   the poll below.
 * - **by polling** (every `pollIntervalMs`, at start, and when `nudge`d): what no process
 *   published — its publish failed, or it crashed between the commit and the publish or the
 *   mark. Rows are claimed with `for update skip locked`, so instances relay side by side without
 *   publishing a row twice; the rows this process is publishing on the first path are left out.
 *   The rows the sink acknowledged are marked published together, in the claiming transaction;
 *   a failed publish ends the batch (what came before it stays published). A broker that is not
 *   taking events is waited out; any other failure is counted on its row, and a row failing
 *   `maxAttempts` times is set aside.
 *
 * A row can still be published twice — a crash between an acknowledgement and its mark, or
 * another instance's poll taking a row whose publish is under way here — and goes out with the
 * same message id, which JetStream drops within its duplicate window; consumers dedupe past it.
 * Events of one transaction go out in the order recorded; events of concurrent transactions
 * in whatever order their publishes finish (as with several relays before).
 */
export class OutboxRelay {
  private lastPrune = 0;
  private readonly loop: DrainLoop;
  /** Rows published (or being published) on the first path and not yet marked: the poll leaves them out. */
  private readonly inHand = new Set<string>();
  /** Published on the first path, waiting for their mark. */
  private unmarked: string[] = [];
  private readonly marks: DrainLoop;
  /** The first path's publishes under way, for `settle` and `stop`. */
  private readonly publishing = new Set<Promise<void>>();
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
    // Never started: it runs when nudged (after a publish), so a mark waits for no tick.
    this.marks = new DrainLoop(() => this.markUnmarked(), 0, log, 'outbox relay: marking published events failed');
  }

  start(): void {
    this.loop.start();
  }

  /** Publish what is pending now (called after a transaction that wrote events commits). */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Publishes events the caller's transaction has just committed (their rows as recorded), in
   * order, without waiting: the first path above. Each published row is marked soon after.
   */
  publishCommitted(rows: readonly OutboxRow[]): void {
    if (rows.length === 0 || this.loop.stopped) return;
    for (const row of rows) this.inHand.add(row.id);
    const publishing = this.publishInOrder(rows).finally(() => this.publishing.delete(publishing));
    this.publishing.add(publishing);
  }

  /** Resolves once no batch is in progress; call before closing the sink's connection. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.publishing);
    await this.marks.settle();
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
    await Promise.all(this.publishing);
    await this.marks.settle();
    await this.loop.settle();
  }

  private async publishInOrder(rows: readonly OutboxRow[]): Promise<void> {
    for (const [index, row] of rows.entries()) {
      try {
        await this.publish(row);
      } catch (error) {
        // Left to the poll, which counts the attempts and waits a broker that is down out (and says
        // so once per poll, not once per write here).
        const level = isBrokerUnavailable(error) ? 'debug' : 'warn';
        this.log[level]({ err: error, eventId: row.id, type: row.type }, 'outbox relay: publish after commit failed: left to the poll');
        for (const later of rows.slice(index)) this.inHand.delete(later.id);
        this.loop.nudge();
        return;
      }
      this.unmarked.push(row.id);
      this.marks.nudge();
    }
  }

  /** Marks what the first path published since the last mark, in one statement. */
  private async markUnmarked(): Promise<void> {
    const ids = this.unmarked;
    if (ids.length === 0) return;
    this.unmarked = [];
    try {
      await this.orm.em
        .fork()
        .execute(`update ${this.table} set published_at = now() where id = any(?::uuid[]) and published_at is null`, [uuidArray(ids)]);
    } finally {
      // Marked, or — the database gone — left to the poll, which publishes them again under the same ids.
      for (const id of ids) this.inHand.delete(id);
    }
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
          where published_at is null and failed_at is null and id <> all(?::uuid[])
          order by created_at, id limit ${BATCH_SIZE} for update skip locked`,
        [uuidArray(this.inHand)],
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
