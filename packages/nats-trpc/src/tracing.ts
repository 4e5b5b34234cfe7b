import { SpanKind, failSpan, inSpan, startSpan, traceHeaders, tracingOn, withSpan } from '@atrium/telemetry';
import type { Context, Span } from '@atrium/telemetry';
import { RemoteProcedureError } from './call.js';
import type { CallReply, ProcedureCall, ServiceTransport } from './call.js';
import { procedureSubject } from './subjects.js';

/** The instrumentation scope of the spans made here. */
const SCOPE = '@atrium/nats-trpc';

/** What every span of a call says: the procedure (RPC conventions) and the request id, to find its log lines. */
function callAttributes(service: string, path: string, requestId: string) {
  return { 'rpc.system': 'nats-trpc', 'rpc.service': service, 'rpc.method': path, 'atrium.request_id': requestId };
}

/**
 * The caller's span of one call (`projects/projects.create`), within the caller's trace only:
 * a call made outside any (a readiness probe's) starts none. Its context goes along in the
 * message's headers, so the service's span is its child.
 */
export function callSpan(call: ProcedureCall, subject?: string): Span | undefined {
  return startSpan(SCOPE, `${call.service}/${call.path}`, {
    kind: SpanKind.CLIENT,
    childOnly: true,
    attributes: {
      ...callAttributes(call.service, call.path, call.meta.requestId),
      ...(subject && { 'messaging.system': 'nats', 'messaging.destination.name': subject }),
    },
  });
}

/**
 * `transport` with a client span around each call made within a trace, its context going along
 * in the call's `meta.trace` (the NATS transport sends it as headers). Calls outside a trace, and
 * every call while tracing is off, go straight through.
 */
export function tracedTransport(transport: ServiceTransport): ServiceTransport {
  return {
    call(call, signal) {
      if (!tracingOn()) return transport.call(call, signal);
      const span = callSpan(call, procedureSubject(call.service, call.path));
      if (!span) return transport.call(call, signal);
      return inSpan(span, () => transport.call({ ...call, meta: { ...call.meta, trace: traceHeaders(span) } }, signal));
    },
  };
}

/**
 * The service's span of a call it handles, the handler's work (its SQL statements, its own
 * calls) inside: a child of `parent`, the caller's span named by the message's headers (or, in
 * process, the active one). None without a parent.
 */
export function handlerSpan(service: string, path: string, requestId: string, parent?: Context): Span | undefined {
  return startSpan(SCOPE, `${service}/${path}`, {
    kind: SpanKind.SERVER,
    childOnly: true,
    ...(parent && { parent }),
    attributes: callAttributes(service, path, requestId),
  });
}

/**
 * `transport`, calling routers in process, with the service's span around each call made within
 * a trace: there is no hop, hence no client span, and the handler's span is a child of the
 * caller's own.
 */
export function tracedInProcess(transport: ServiceTransport): ServiceTransport {
  return {
    async call(call, signal) {
      if (!tracingOn()) return transport.call(call, signal);
      const span = handlerSpan(call.service, call.path, call.meta.requestId);
      if (!span) return transport.call(call, signal);
      try {
        const result = await withSpan(span, () => transport.call(call, signal));
        endHandlerSpan(span, { result });
        return result;
      } catch (error) {
        if (error instanceof RemoteProcedureError) endHandlerSpan(span, { error: error.shape });
        else {
          failSpan(span, error);
          span.end();
        }
        throw error;
      }
    },
  };
}

/** tRPC codes that are the service's failure, not the caller's mistake (HTTP 5xx). */
const SERVER_FAILURES = new Set(['INTERNAL_SERVER_ERROR', 'NOT_IMPLEMENTED', 'BAD_GATEWAY', 'SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT']);

/** Ends a handler's span with what it answered: an error answer names its code, and a server failure fails the span. */
export function endHandlerSpan(span: Span | undefined, reply: CallReply): void {
  if (!span) return;
  if ('error' in reply) {
    const code = reply.error.data.code;
    span.setAttribute('error.type', code);
    if (SERVER_FAILURES.has(code)) failSpan(span, new Error(reply.error.message), code);
  }
  span.end();
}
