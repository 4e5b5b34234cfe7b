import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { TRPCError } from '@trpc/server';
import { IDEMPOTENCY_KEY_PATTERN } from './call.js';
import type { CallMeta, ProcedureKind } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';
import { HEADER, queueGroup, serviceSubjectPrefix } from './subjects.js';

/** What a call's headers say; the caller comes from verifying the assertion, never from a header. */
function idempotencyKeyOf(value: string | undefined): string | undefined {
  return value && IDEMPOTENCY_KEY_PATTERN.test(value) ? value : undefined;
}

function attemptOf(value: string | undefined): { attempt?: number } {
  const attempt = Number(value);
  return Number.isInteger(attempt) && attempt > 1 && attempt <= 100 ? { attempt } : {};
}

export function metaFromHeaders(h: MsgHdrs | undefined): CallMeta {
  const deadline = Number(h?.get(HEADER.deadline));
  return {
    requestId: h?.get(HEADER.requestId) || 'internal',
    // A missing or garbled deadline header means none: the caller's own timeout still applies.
    deadline: Number.isSafeInteger(deadline) && deadline > 0 ? deadline : undefined,
    assertion: h?.get(HEADER.assertion) || undefined,
    idempotencyKey: idempotencyKeyOf(h?.get(HEADER.idempotencyKey)),
    ...attemptOf(h?.get(HEADER.attempt)),
  };
}

function kindFromHeaders(h: MsgHdrs | undefined): ProcedureKind {
  return h?.get(HEADER.kind) === 'mutation' ? 'mutation' : 'query';
}

function parseInput(msg: Msg): unknown {
  if (msg.data.length === 0) return undefined;
  try {
    return msg.json();
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The request payload is not valid JSON', cause });
  }
}

/**
 * Answers leave together: every answer ready in one turn of the event loop is handed to NATS in
 * one go, which writes them to the socket at once. Calls finish one by one as their database
 * answers arrive, and nats.js writes what was published since the last microtask checkpoint, so
 * answered one by one each reply cost its own write — the largest single item of a service's
 * CPU on GET /projects/:id (~15%). Waiting for the end of the turn (setImmediate) delays an
 * answer by at most the rest of that turn.
 */
function replyBatcher(nc: NatsConnection) {
  let pending: { msg: Msg; data: string; sent: () => void; failed: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    for (const { msg, data, sent, failed } of batch) {
      try {
        if (!nc.isClosed()) msg.respond(data);
        sent();
      } catch (error) {
        failed(error);
      }
    }
  };
  return {
    send(msg: Msg, data: string): Promise<void> {
      return new Promise((sent, failed) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ msg, data, sent, failed });
      });
    },
  };
}

export interface ServedRouter {
  subscription: Subscription;
  /**
   * Stops taking calls and resolves once every call already taken has been answered. NATS's
   * own drain does not wait for asynchronous handlers, so without this a shutdown would close
   * the database under running calls and their callers would wait out their deadline.
   */
  drain(): Promise<void>;
}

export interface ServeOptions {
  /**
   * The reply subject prefixes a call may name (its caller's inbox, `_INBOX_<app>.`). The reply
   * subject is input like any other: answered as given, `$JS.API.STREAM.PURGE.…` would make the
   * service purge a stream with its own permissions. A call naming any other is not answered.
   */
  replyPrefixes: readonly string[];
  /** Told of each call left unanswered for its reply subject. */
  onRefusedReply?: (subject: string, reply: string) => void;
}

/** Whether `reply` is one inbox under one of `prefixes`: a prefix, then subject tokens. */
export function isAllowedReply(reply: string, prefixes: readonly string[]): boolean {
  const prefix = prefixes.find((candidate) => reply.startsWith(candidate));
  return prefix !== undefined && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(reply.slice(prefix.length));
}

/**
 * Serves a tRPC router on `svc.<service>.v1.>` in the service's queue group: every
 * instance subscribes, NATS hands each request to one of them.
 */
export function serveRouterOverNats<Ctx>(
  nc: NatsConnection,
  service: string,
  endpoint: RouterEndpoint<Ctx>,
  options: ServeOptions,
): ServedRouter {
  const prefix = serviceSubjectPrefix(service);
  const inFlight = new Set<Promise<void>>();
  const subscription = nc.subscribe(`${prefix}>`, {
    queue: queueGroup(service),
    callback: (error, msg) => {
      if (error || !msg.reply) return;
      if (!isAllowedReply(msg.reply, options.replyPrefixes)) {
        options.onRefusedReply?.(msg.subject, msg.reply);
        return;
      }
      const answering = answer(msg).finally(() => inFlight.delete(answering));
      inFlight.add(answering);
    },
  });

  const replies = replyBatcher(nc);

  async function answer(msg: Msg): Promise<void> {
    const path = msg.subject.slice(prefix.length);
    const reply = await dispatchCall(endpoint, path, kindFromHeaders(msg.headers), () => parseInput(msg), metaFromHeaders(msg.headers));
    await replies.send(msg, JSON.stringify(reply));
  }

  return {
    subscription,
    async drain() {
      if (!subscription.isClosed()) await subscription.drain();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
