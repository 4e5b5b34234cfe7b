import { Empty, RequestError, TimeoutError, ClosedConnectionError, headers } from '@nats-io/transport-node';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { ServiceUnavailableError, callDeadline, readReply } from './call.js';
import { watchConnection } from './connection-watch.js';
import type { CallMeta, ProcedureCall, ServiceTransport } from './call.js';
import { HEADER, procedureSubject } from './subjects.js';
import { createTurnSigner } from './assertion.js';
import type { CallSigner } from './assertion.js';
import { mayRepeat, runAttempts } from './call-attempts.js';
import type { AttemptOutcome, RetryReason } from './call-attempts.js';
import { tracedTransport } from './tracing.js';

/** The default per-attempt budget: far above a healthy call (tens of ms), far below a deadline (5 s). */
export const DEFAULT_ATTEMPT_MS = 1000;

export interface NatsTransportOptions {
  /**
   * The longest a call may wait; past it the caller gets SERVICE_UNAVAILABLE, never a hang. A
   * call made with an earlier deadline (forwarded from its own caller) waits only until then.
   */
  timeoutMs: number;
  /** Signs every call as this app (see assertion.ts); services refuse unsigned calls. */
  signer?: CallSigner;
  /**
   * How long one attempt may go unanswered before a call that may be repeated (a query, or a
   * mutation with an Idempotency-Key) is sent again, to whichever instance NATS picks, while
   * the first copy keeps waiting too. The deadline still bounds the whole call. Default 1000.
   */
  attemptMs?: number;
  /** Told of every copy of a call sent after the first (see `runAttempts`), for metrics. */
  onRetry?(call: ProcedureCall, reason: RetryReason): void;
  /**
   * How long a call waits for a lost connection to come back (another node of the cluster)
   * before it fails with SERVICE_UNAVAILABLE. Default 2000; never past the call's deadline.
   */
  reconnectGraceMs?: number;
}

/** Long enough for nats.js to reach another node of a cluster, short enough to fail fast with no broker. */
export const DEFAULT_RECONNECT_GRACE_MS = 2000;

export function metaToHeaders(meta: CallMeta, kind: string): MsgHdrs {
  const h = headers();
  h.set(HEADER.kind, kind);
  h.set(HEADER.requestId, meta.requestId);
  if (meta.deadline !== undefined) h.set(HEADER.deadline, String(meta.deadline));
  if (meta.assertion) h.set(HEADER.assertion, meta.assertion);
  if (meta.idempotencyKey) h.set(HEADER.idempotencyKey, meta.idempotencyKey);
  if (meta.attempt !== undefined && meta.attempt > 1) h.set(HEADER.attempt, String(meta.attempt));
  // The caller's trace context (`traceparent`, `tracestate`), under the standard header names.
  if (meta.trace) for (const [name, value] of Object.entries(meta.trace)) h.set(name, value);
  return h;
}

/** Calls services over NATS request/reply; the queue group on the other side picks one instance. */
export function createNatsTransport(nc: NatsConnection, options: NatsTransportOptions): ServiceTransport {
  const connection = watchConnection(nc);
  const signInThisTurn = options.signer ? createTurnSigner(options.signer) : undefined;
  const disconnected = (service: string) => new ServiceUnavailableError(service, 'disconnected');
  return tracedTransport({
    async call(call: ProcedureCall): Promise<unknown> {
      const now = Date.now();
      const deadline = callDeadline(call, options.timeoutMs, now);
      const grace = () => Math.min(options.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS, deadline - Date.now());
      // While the broker is unreachable, say so soon rather than after the whole deadline.
      // Connected, the usual case, costs no await.
      if (!connection.connected() && !(await connection.reconnected(grace()))) throw disconnected(call.service);
      const payload = call.input === undefined ? Empty : JSON.stringify(call.input);
      const subject = procedureSubject(call.service, call.path);
      // Signed once: every copy carries the same request id and deadline, so the same assertion holds.
      const assertion = signInThisTurn ? signInThisTurn({ call, deadline }) : Promise.resolve(call.meta.assertion);
      // A rejection is read by the first send; this keeps an unused one from being reported unhandled.
      assertion.catch(() => undefined);
      const send = async (attempt: number) => {
        const token = await assertion;
        const msg = await nc.request(subject, payload, {
          timeout: Math.max(1, deadline - Date.now()),
          headers: metaToHeaders(
            {
              requestId: call.meta.requestId,
              deadline,
              assertion: token,
              idempotencyKey: call.meta.idempotencyKey,
              attempt,
              trace: call.meta.trace,
            },
            call.kind,
          ),
        });
        return readReply(msg.string());
      };
      try {
        return await connection.untilDropped(
          runAttempts(send, {
            deadline,
            attemptMs: options.attemptMs ?? DEFAULT_ATTEMPT_MS,
            repeatable: mayRepeat(call),
            classify: attemptOutcomeOf,
            onRetry: (reason) => options.onRetry?.(call, reason),
          }),
          () => disconnected(call.service),
          grace(),
        );
      } catch (error) {
        throw toTransportError(call.service, error);
      }
    },
  });
}

function attemptOutcomeOf(error: unknown): AttemptOutcome {
  if (error instanceof RequestError && error.isNoResponders()) return 'no-responders';
  // No answer came (the deadline, a closed connection); anything else was an answer, if an error.
  if (error instanceof TimeoutError || error instanceof ClosedConnectionError || error instanceof RequestError) return 'unanswered';
  return 'answered';
}

function toTransportError(service: string, error: unknown): unknown {
  if (error instanceof RequestError && error.isNoResponders()) return new ServiceUnavailableError(service, 'no-responders');
  if (error instanceof TimeoutError) return new ServiceUnavailableError(service, 'timeout');
  if (error instanceof ClosedConnectionError || (error instanceof RequestError && /closed/i.test(error.message))) {
    return new ServiceUnavailableError(service, 'disconnected');
  }
  return error;
}
