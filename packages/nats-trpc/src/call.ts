import { TRPCError } from '@trpc/server';
import type { ServiceErrorShape } from '@atrium/contract';

/** The end user a call is made for, and the credential they authenticated with. */
export interface Caller {
  userId: string;
  credentialId: string;
  /**
   * What the credential is limited to (a scoped API key); absent for a full credential. It is
   * signed into the assertion with the user (claim `scp`), so it travels with the caller across
   * every hop and every service applies it (service-runtime's scope.ts).
   */
  scope?: CallerScope;
}

/** The limits of a scoped API key: only these projects, and/or only reads. */
export interface CallerScope {
  /** The only projects the credential may act on (1–100 ids); absent: every project of the user. */
  projects?: readonly string[];
  /** Reads only: every write is refused (403). */
  readOnly?: true;
}

/**
 * Who is calling and on behalf of which request. Only the request id, the deadline and the
 * signed assertion cross the hop (NATS headers); the receiving service learns the caller from
 * the assertion alone (see assertion.ts), never from a header anyone could set.
 */
export interface CallMeta {
  requestId: string;
  /**
   * When the first caller stops waiting, in milliseconds since the epoch. Set once at the edge
   * and forwarded unchanged by every hop (never extended), so a service does not start work
   * nobody waits for any more. Hosts need synchronised clocks (NTP), as with any absolute expiry.
   */
  deadline?: number;
  /**
   * The end user. Going out from the gateway: the user it authenticated, signed into the
   * assertion. Inside a service: the user its verified assertion names.
   */
  caller?: Caller;
  /** Going out from a service acting for its caller: the user assertion it received, to forward. */
  onBehalfOf?: string;
  /** The signed assertion the call arrived with (set by the transport, read by the service). */
  assertion?: string;
  /**
   * The client's `Idempotency-Key` for a creating call: the owning service answers a repeat
   * with the first answer (see service-runtime's idempotency), so any hop may retry the call.
   */
  idempotencyKey?: string;
  /**
   * Which copy of the call this is, when the transport sent it again (2, 3) because an earlier
   * copy went unanswered (see call-attempts.ts). Only a call that may be repeated is: a service uses
   * it to wait for a still running first copy instead of refusing the repeat as concurrent.
   */
  attempt?: number;
  /**
   * The W3C Trace Context (`traceparent`, `tracestate`) of the caller's span, while tracing is
   * on: set by the transport, sent as headers, read by the service for its span's parent.
   */
  trace?: Record<string, string>;
}

/** What an idempotency key may be: 1–255 visible ASCII characters (safe in any header). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type ProcedureKind = 'query' | 'mutation';

/** One call of one procedure of one service. */
export interface ProcedureCall {
  service: string;
  path: string;
  kind: ProcedureKind;
  input: unknown;
  meta: CallMeta;
  /** A mutation its contract declares idempotent by nature: it may be sent again like a query (see call-attempts.ts). */
  repeatable?: boolean;
}

/** What a service answers: the output, or its formatted error shape. */
export type CallReply = { result: unknown } | { error: ServiceErrorShape };

/**
 * A service's error, rebuilt on the caller's side with the same tRPC code, so a NOT_FOUND
 * in a service is a NOT_FOUND at the gateway (never a 500). `data` keeps the service's
 * formatted error data (the API code and field details).
 */
export class RemoteProcedureError extends TRPCError {
  // `name` stays 'TRPCError': the REST adapter recognises tRPC errors by name, not by class.
  readonly data: ServiceErrorShape['data'];
  readonly shape: ServiceErrorShape;

  constructor(shape: ServiceErrorShape) {
    super({ code: shape.data.code, message: shape.message });
    this.data = shape.data;
    this.shape = shape;
  }
}

/** The service did not answer: not running, or not within the deadline. */
export class ServiceUnavailableError extends TRPCError {
  constructor(
    readonly service: string,
    readonly reason: 'no-responders' | 'timeout' | 'disconnected' | 'deadline-passed',
  ) {
    super({ code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE_MESSAGES[reason](service) });
  }
}

const UNAVAILABLE_MESSAGES = {
  'no-responders': (service: string) => `The ${service} service is not available`,
  disconnected: (service: string) => `The ${service} service is not available`,
  timeout: (service: string) => `The ${service} service did not answer in time`,
  'deadline-passed': (service: string) => `The deadline of this request passed before the ${service} service was called`,
};

/**
 * The deadline a call goes out with: the caller's own if it has one, at most `timeoutMs` from
 * now. A call whose deadline has already passed is not started (SERVICE_UNAVAILABLE).
 */
export function callDeadline(call: ProcedureCall, timeoutMs: number, now = Date.now()): number {
  const deadline = Math.min(call.meta.deadline ?? Number.POSITIVE_INFINITY, now + timeoutMs);
  if (deadline <= now) throw new ServiceUnavailableError(call.service, 'deadline-passed');
  return deadline;
}

export function unwrapReply(reply: CallReply): unknown {
  if ('error' in reply) throw new RemoteProcedureError(reply.error);
  return reply.result;
}

const RESULT_PREFIX = '{"result":';

/**
 * A reply as it arrives (`{"result":…}` or `{"error":…}`, JSON): the output, or the service's
 * error thrown. A result is parsed from the text after the `{"result":` prefix alone, so a
 * reply that is not exactly one result value (a second `result` key, say) is refused.
 */
export function readReply(text: string): unknown {
  if (text.startsWith(RESULT_PREFIX) && text.endsWith('}')) return JSON.parse(text.slice(RESULT_PREFIX.length, -1));
  return unwrapReply(JSON.parse(text) as CallReply);
}

/** How callers reach services: over NATS in production and tests, in process in the embedded mode. */
export interface ServiceTransport {
  call(call: ProcedureCall, signal?: AbortSignal): Promise<unknown>;
}
