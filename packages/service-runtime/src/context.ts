import type { EntityManager } from '@mikro-orm/postgresql';
import type { Broadcast, CallMeta } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { EventRecorder } from './outbox/recorder.js';
import { createEventRecorder } from './outbox/recorder.js';
import type { OutboxRelay } from './outbox/relay.js';
import type { ServiceClients } from './bus.js';
import type { ProjectAccess } from '@atrium/contract';
import type { ProjectGrant } from './project-grant.js';
import { unauthorized } from './errors.js';
import { readPooledRows, readRows } from './reads.js';
import { batchedReader } from './read-batcher.js';
import type { BatchedRead } from './read-batcher.js';

/** What every handler receives: who calls, a fresh EntityManager for this call, a logger, the outbox. */
export interface ServiceContext {
  /** The request id, the deadline, and the end user as its signed assertion names them. */
  meta: CallMeta;
  /** The app that made the call, from its verified assertion; absent for an unsigned call (refused). */
  app?: string;
  /**
   * The call's own EntityManager (forked for it the first time it is asked for); a mutation's is
   * inside the mutation's one transaction (see `runInTransaction`).
   */
  readonly em: EntityManager;
  /** Whether the call's EntityManager is in a transaction: a mutation, from its start to its end. */
  readonly inTransaction: boolean;
  /**
   * A hand-written read, `?` placeholders (see `readRows`): in the call's transaction when it has
   * one, else straight on a pooled connection — a query that reads only this way never forks an
   * EntityManager at all.
   */
  read<Row>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /**
   * A query's batched read by key (see read-batcher.ts). Not in a transaction: a mutation reads
   * with `read`, in its own.
   */
  readBatched<Key, Value, Row>(read: BatchedRead<Key, Value, Row>, key: Key): Promise<Value>;
  log: Logger;
  /** Records events in `em`'s transaction (the outbox); see `OutboxRelay`. */
  events: EventRecorder;
  /**
   * Typed clients of the other services, forwarding this call's request id, deadline and end
   * user (see `serviceClients`). Built on first use.
   */
  readonly services: ServiceClients;
  /**
   * Runs `effect` once the call's changes are committed, before the answer leaves: for what
   * must not be seen before the commit (a revocation broadcast, say) and never after a rollback.
   * An effect that returns a promise is awaited (a call to another service, say), in turn.
   */
  afterCommit(effect: () => void | Promise<void>): void;
  /**
   * Runs `effect` once the call's transaction is over, committed or rolled back, before the
   * answer leaves: for what must be kept even when the call fails (a failed password attempt).
   */
  afterTransaction(effect: () => Promise<void>): void;
  /** Runs what the two above collected; the runtime calls it, handlers never do. */
  settle(committed: boolean): Promise<void>;
  /** Writes what must commit with the call's changes (its recorded events); the runtime calls it right before each commit. */
  beforeCommit(): Promise<void>;
  /** Where the call's outcome and duration are recorded (see implementService). */
  metrics?: Metrics;
  /**
   * For operations declaring `access` in the contract: the caller's grant in the project, as the
   * service's `projectRoles` resolver returned it, checked before the handler runs (`grantOf`).
   */
  access?: ProjectGrant;
  /**
   * For operations declaring `access` in a service whose handlers find the caller's role
   * themselves: the contract's rule for this call, and whether the handler applied it
   * (`authorizeProjectRole`). Carries no data read for the handler.
   */
  projectAccess?: { access: ProjectAccess; authorized: boolean };
}

export interface ServiceContextParts {
  meta: CallMeta;
  app?: string;
  /** The call's EntityManager; or, with `forkOnUse`, the root one, forked for the call when first used. */
  em: EntityManager;
  /**
   * Forking builds a unit of work and an identity map, which a read that needs no entities
   * (`GET /projects/:id`) does not have to pay for.
   */
  forkOnUse?: boolean;
  /**
   * The call's logger, or how to make it: a function is called on the first line the call logs
   * (most calls log none, and a pino child costs its bindings' serialisation up front).
   */
  log: Logger | (() => Logger);
  /** The service's outbox relay, when it records events. */
  relay?: OutboxRelay;
  /** Where `ctx.events.notify` sends, when the service sends notifications. */
  broadcast?: Broadcast;
  metrics?: Metrics;
  /** Builds the clients of other services (on first use). */
  services: () => ServiceClients;
}

/** Per EntityManager the calls share (the service's root one), per read: its batcher. */
const batchers = new WeakMap<EntityManager, Map<BatchedRead<never, unknown, never>, (key: never) => Promise<unknown>>>();

function batcherOf<Key, Value, Row>(em: EntityManager, read: BatchedRead<Key, Value, Row>): (key: Key) => Promise<Value> {
  let reads = batchers.get(em);
  if (!reads) {
    reads = new Map();
    batchers.set(em, reads);
  }
  let batcher = reads.get(read as BatchedRead<never, unknown, never>) as ((key: Key) => Promise<Value>) | undefined;
  if (!batcher) {
    batcher = batchedReader<Key, Value>(async (keys) => read.values(await readPooledRows<Row>(em, read.sql, read.params(keys)), keys));
    reads.set(read as BatchedRead<never, unknown, never>, batcher as (key: never) => Promise<unknown>);
  }
  return batcher;
}

/** The context of one call: the service endpoint makes one per call, handler tests make their own. */
export function createServiceContext(parts: ServiceContextParts): ServiceContext {
  const onCommit: (() => void | Promise<void>)[] = [];
  const onEnd: (() => Promise<void>)[] = [];
  let em = parts.forkOnUse ? undefined : parts.em;
  const callEm = () => {
    em ??= parts.em.fork();
    return em;
  };
  let events: EventRecorder | undefined;
  onCommit.push(() => events?.afterSuccess());
  let services: ServiceClients | undefined;
  let log = typeof parts.log === 'function' ? undefined : parts.log;
  return {
    meta: parts.meta,
    app: parts.app,
    get em() {
      return callEm();
    },
    get inTransaction() {
      return em?.isInTransaction() ?? false;
    },
    read: <Row>(sql: string, params: readonly unknown[]) => readRows<Row>(em ?? parts.em, sql, params),
    readBatched<Key, Value, Row>(read: BatchedRead<Key, Value, Row>, key: Key): Promise<Value> {
      // Other calls' keys share the statement, so it runs on the pool, outside any transaction.
      if ((em ?? parts.em).isInTransaction())
        return Promise.reject(new Error('readBatched is for queries: a mutation reads in its transaction (read)'));
      return batcherOf(parts.em, read)(key);
    },
    get log() {
      log ??= (parts.log as () => Logger)();
      return log;
    },
    get events() {
      events ??= createEventRecorder(callEm(), parts.relay, parts.broadcast, parts.meta);
      return events;
    },
    metrics: parts.metrics,
    get services() {
      services ??= parts.services();
      return services;
    },
    beforeCommit: async () => {
      await events?.writeRecorded();
    },
    afterCommit: (effect) => onCommit.push(effect),
    afterTransaction: (effect) => onEnd.push(effect),
    async settle(committed) {
      const commitEffects = onCommit.splice(0);
      if (committed) for (const effect of commitEffects) await effect();
      for (const effect of onEnd.splice(0)) await effect();
    },
  };
}

/** The authenticated user's id; `implementService` already refused calls without one. */
export function callerId(ctx: ServiceContext): string {
  const caller = ctx.meta.caller;
  if (!caller) throw unauthorized();
  return caller.userId;
}
