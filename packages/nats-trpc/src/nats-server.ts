import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { TRPCError } from '@trpc/server';
import { IDEMPOTENCY_KEY_PATTERN } from './call.js';
import type { CallMeta, ProcedureKind } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';
import { HEADER, queueGroup, serviceSubjectPrefix } from './subjects.js';
import { contextOf, readTraceHeaders, withSpan } from '@atrium/telemetry';
import { endHandlerSpan, handlerSpan } from './tracing.js';

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
    ...traceOf(h),
  };
}

/** While tracing is on: the caller's span (`traceparent`), the parent of the handler's. */
function traceOf(h: MsgHdrs | undefined): { trace?: Record<string, string> } {
  const trace = readTraceHeaders((name) => h?.get(name) || undefined);
  return trace ? { trace } : {};
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

  async function answer(msg: Msg): Promise<void> {
    const path = msg.subject.slice(prefix.length);
    const meta = metaFromHeaders(msg.headers);
    const parent = contextOf(meta.trace);
    const span = parent && handlerSpan(service, path, meta.requestId, parent);
    const reply = await withSpan(
      span,
      () => dispatchCall(endpoint, path, kindFromHeaders(msg.headers), () => parseInput(msg), meta),
      parent,
    );
    endHandlerSpan(span, reply);
    // A connection closed while the call ran has nowhere to answer; the caller times out or retries.
    if (!nc.isClosed()) msg.respond(JSON.stringify(reply));
  }

  return {
    subscription,
    async drain() {
      if (!subscription.isClosed()) await subscription.drain();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
