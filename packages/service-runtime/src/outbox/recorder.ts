import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DOMAIN_EVENTS } from '@atrium/contract';
import type { DomainEvent, EventData, EventType } from '@atrium/contract';
import type { Broadcast, CallMeta } from '@atrium/nats-trpc';
import { activeTraceHeaders } from '@atrium/telemetry';
import { transactionRows } from '../reads.js';
import { OutboxEvent } from './outbox.entity.js';
import { OUTBOX_TRACE_KEY } from './relay.js';
import type { OutboxRelay, OutboxRow } from './relay.js';

/** How a handler emits an event: recorded in its EntityManager, so it commits with the change. */
export interface EventRecorder {
  /**
   * Writes `evt.<type>` in the call's envelope (a new event id, the time, the calling user as
   * actor, the request id) to the outbox, in the handler's transaction: it is published if and
   * only if the change commits. Returns the envelope.
   */
  record<T extends EventType>(type: T, data: EventData<T>): DomainEvent<T>;
  /**
   * A notification (`ntf.` subject) to every instance of every service, published only once the
   * handler succeeded — after its commit, so a listener that reacts by reading sees the change.
   */
  notify(subject: string, payload: Record<string, unknown>): void;
  /**
   * Writes the events recorded since the last call into the outbox, in one statement on the
   * transaction's connection: the runtime calls it right before each commit of the call's
   * transaction, so the events commit with the change.
   */
  writeRecorded(): Promise<void>;
  /** Called once the handler succeeded (its flush committed): hands its events to the relay to publish now, sends the notifications. */
  afterSuccess(): void;
}

/** The envelope of an event made by a call (`meta`) or, without one, by the service itself. */
export function eventEnvelope<T extends EventType>(
  type: T,
  data: EventData<T>,
  meta?: Pick<CallMeta, 'requestId' | 'caller'>,
): DomainEvent<T> {
  return {
    id: randomUUID(),
    type,
    occurred_at: new Date().toISOString(),
    actor: meta?.caller?.userId ?? null,
    request_id: meta?.requestId ?? null,
    data,
  };
}

export function createEventRecorder(
  em: EntityManager,
  relay: OutboxRelay | undefined,
  broadcast?: Broadcast,
  meta?: CallMeta,
): EventRecorder {
  /** Recorded and not yet written to the outbox. */
  const unwritten: OutboxRow[] = [];
  /** Written, and handed to the relay once the call succeeded. */
  const recorded: OutboxRow[] = [];
  const notifications: [string, Record<string, unknown>][] = [];
  return {
    record<T extends EventType>(type: T, data: EventData<T>) {
      if (!relay) throw new Error(`No outbox is configured for this service (event ${type})`);
      // Checked here, so a malformed event fails its change instead of reaching every consumer.
      const envelope = eventEnvelope(type, DOMAIN_EVENTS[type].parse(data) as EventData<T>, meta);
      // The row id is the event id: JetStream's message id, and what consumers dedupe on.
      // While tracing is on, the recording span's context is kept beside the envelope (the relay
      // sends it as headers, never in the body), so the event's consumers link to this request.
      const trace = activeTraceHeaders();
      const payload = trace ? { ...envelope, [OUTBOX_TRACE_KEY]: trace } : envelope;
      unwritten.push({ id: envelope.id, type, payload, attempts: 0 });
      return envelope;
    },
    notify(subject, payload) {
      if (!broadcast) throw new Error(`No broadcast is configured for this service (notification ${subject})`);
      notifications.push([subject, payload]);
    },
    async writeRecorded() {
      if (unwritten.length === 0) return;
      const rows = unwritten.splice(0);
      const meta = em.getMetadata().find(OutboxEvent.meta.className)!;
      const table = `"${meta.schema ?? em.config.get('schema')}"."${meta.tableName}"`;
      // Arrays, not a row of placeholders per event: one statement text, prepared once.
      await transactionRows(
        em,
        `insert into ${table} (id, type, payload, created_at) select *, now() from unnest(?::uuid[], ?::text[], ?::jsonb[])`,
        [rows.map((row) => row.id), rows.map((row) => row.type), rows.map((row) => JSON.stringify(row.payload))],
      );
      recorded.push(...rows);
    },
    afterSuccess() {
      relay?.publishCommitted(recorded.splice(0));
      for (const [subject, payload] of notifications.splice(0)) broadcast?.publish(subject, payload);
    },
  };
}
