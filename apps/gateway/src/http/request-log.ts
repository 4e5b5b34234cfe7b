import type { FastifyInstance } from 'fastify';
import type { OperationEntry } from '@atrium/contract';
import type { Logger } from '@atrium/service-runtime/core';
import { createOperationFinder } from '../rest/find-operation.js';

/**
 * What the request log may say about a URL: never a value the client sent in it. Query values
 * (cursors) and path parameters (ids, and invite tokens one day) are both client input, so a
 * request is logged by the operation's path template (`/api/v1/projects/{id}`), or the pattern
 * of the Fastify route that took it (`/docs/*`), and the names of its query parameters. A path
 * that matches nothing is logged as `(no route)`: it may be a mistyped URL with a token in it.
 */
export function createUrlDescriber(prefix: string, operations: Iterable<OperationEntry>) {
  const findOperation = createOperationFinder(prefix, operations);
  return (method: string, url: string, routePattern: string | undefined): { url: string; query?: string[] } => {
    const [rawPath = '', rawQuery] = url.split('?', 2);
    const query = rawQuery
      ? [
          ...new Set(
            rawQuery
              .split('&')
              .map((pair) => pair.split('=', 1)[0]!)
              .filter(Boolean),
          ),
        ]
      : undefined;
    const operation = findOperation(method, rawPath);
    const template = operation ? `${prefix}${operation.operation.rest!.path}` : undefined;
    const pattern = routePattern === `${prefix}/*` ? undefined : routePattern;
    return { url: template ?? pattern ?? '(no route)', ...(query?.length ? { query } : {}) };
  };
}

/** One line per request, written once it is answered: method, URL (as above), status and time. */
export function registerRequestLog(app: FastifyInstance, describeUrl: ReturnType<typeof createUrlDescriber>): void {
  app.addHook('onResponse', (request, reply, done) => {
    // Described only when the line is written: at LOG_LEVEL=warn, every request would pay for
    // the URL's description (a split, a set and a route search) and then drop it.
    if (!(request.log as Logger).isLevelEnabled('info')) return done();
    request.log.info(
      {
        method: request.method,
        ...describeUrl(request.method, request.originalUrl, request.routeOptions.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
}
