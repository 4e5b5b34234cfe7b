import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import type { EventSink } from './sinks.js';

const BATCH_SIZE = 100;

export interface OutboxRelayOptions {
  schema: string;
  /** How often to look for unpublished events besides being nudged (after a crash, say). */
  pollIntervalMs?: number;
}

/**
 * Moves committed outbox rows to the event sink. Rows are claimed with `for update skip
 * locked`, so any number of instances relay side by side without publishing a row twice, and
 * marked published in the same transaction; a crash between publish and commit re-publishes
 * with the same message id, which JetStream drops as a duplicate.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly sink: EventSink,
    private readonly log: Logger,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
    this.nudge();
  }

  /** Publish what is pending now (called after a transaction that wrote events commits). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainOutbox()
      .catch((error: unknown) => this.log.warn({ err: error }, 'outbox relay: will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async drainOutbox(): Promise<void> {
    while (!this.stopped && (await this.relayBatch()) === BATCH_SIZE);
  }

  private async relayBatch(): Promise<number> {
    const table = `"${this.options.schema}"."outbox"`;
    return this.orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<{ id: string; type: string; payload: unknown }[]>(
        `select id, type, payload from ${table} where published_at is null
          order by created_at limit ${BATCH_SIZE} for update skip locked`,
      );
      for (const row of rows) await this.sink.publish(row);
      if (rows.length > 0) {
        const ids = rows.map((row) => row.id);
        await em.execute(`update ${table} set published_at = now() where id in (${ids.map(() => '?').join(', ')})`, ids);
      }
      return rows.length;
    });
  }
}
