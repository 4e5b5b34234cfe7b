import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { SpanKind, contextOf, failSpan, readTraceHeaders, startSpan, withSpan } from '@atrium/telemetry';
import type { Span } from '@atrium/telemetry';
import { createOperationFinder } from '../rest/find-operation.js';
import { REST_OPERATIONS } from '../rest/router.js';

/** Probes and scrapes: answered often and for nobody's request, so never traced. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

const SPAN = Symbol('atrium.span');
type TracedRequest = FastifyRequest & { [SPAN]?: Span };

/**
 * A server span per HTTP request (HTTP conventions: `POST /api/v1/projects`), the child of the
 * caller's span when its `traceparent` header names one. The route handlers run inside it, so the
 * calls they make to the services are its children. Registered only while tracing is on, before
 * any route (it wraps each route's handler as the route is added).
 */
export function registerTracing(app: FastifyInstance, prefix: string): void {
  const findOperation = createOperationFinder(prefix, REST_OPERATIONS.values());
  /** The route template: the REST operation's path, else Fastify's route (none for a wildcard). */
  const routeOf = (request: FastifyRequest): string | undefined => {
    const operation = findOperation(request.method, request.originalUrl);
    if (operation) return `${prefix}${operation.operation.rest!.path}`;
    const route = request.routeOptions.url;
    return route && !route.endsWith('*') ? route : undefined;
  };

  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    const path = request.originalUrl.split('?', 1)[0]!;
    if (!UNTRACED.has(path)) {
      const parent = contextOf(readTraceHeaders((name) => headerValue(request.headers[name])));
      request[SPAN] = startSpan('@atrium/gateway', request.method, {
        kind: SpanKind.SERVER,
        ...(parent && { parent }),
        attributes: {
          'http.request.method': request.method,
          'url.path': path,
          'url.scheme': request.protocol,
          'client.address': request.ip,
          'atrium.request_id': request.id,
        },
      });
    }
    done();
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function traced(this: unknown, request: TracedRequest, reply) {
      return withSpan(request[SPAN], () => handler.call(this as FastifyInstance, request, reply));
    } as RouteHandlerMethod;
  });
  app.addHook('onResponse', (request: TracedRequest, reply, done) => {
    const span = request[SPAN];
    if (span) {
      const route = routeOf(request);
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) failSpan(span, new Error(`HTTP ${reply.statusCode}`), String(reply.statusCode));
      span.end();
    }
    done();
  });
  app.addHook('onRequestAbort', (request: TracedRequest, done) => {
    const span = request[SPAN];
    if (span) {
      failSpan(span, new Error('The client closed the connection before the answer'), 'aborted');
      span.end();
    }
    done();
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
