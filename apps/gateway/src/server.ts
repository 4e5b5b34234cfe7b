import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import { fastifyTRPCOpenApiPlugin } from 'trpc-to-openapi';
import type { Broadcast, ServiceTransport } from '@atrium/nats-trpc';
import { isBrokerUnavailable } from '@atrium/service-runtime/core';
import type { UploadStore } from '@atrium/uploads';
import type { Logger, Metrics } from '@atrium/service-runtime/core';
import { credentialFromHeaders } from './auth/credentials.js';
import { registerCors } from './http/cors.js';
import { registerDocs } from './http/docs.js';
import { clientErrorHandler } from './http/client-errors.js';
import { registerEncodingGuard } from './http/encodings.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { registerStopping } from './http/stopping.js';
import { createUrlDescriber, registerRequestLog } from './http/request-log.js';
import { createSecretRouteMatcher } from './http/secret-routes.js';
import { createAuthenticator } from './auth/authenticator.js';
import { apiErrorOf, apiErrorOfHttpError, errorEnvelope, statusOf } from './rest/errors.js';
import { OPENAPI_TITLE, buildOpenApiDocument } from './rest/openapi.js';
import { passwordOperationMatcher } from './rest/password-operations.js';
import { createOperationFinder } from './rest/find-operation.js';
import { createGatewayRouter, REST_OPERATIONS, restOperationName } from './rest/router.js';
import type { GatewayContext } from './rest/router.js';
import type { Readiness } from './readiness.js';
import { registerUploads } from './uploads/index.js';
import { tracingOn } from '@atrium/telemetry';
import { registerTracing } from './http/tracing.js';

export const API_PREFIX = '/api/v1';
/** JSON bodies over 1 MiB get 413 (docs/api-contract.md, Limits). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface GatewayOptions {
  transport: ServiceTransport;
  broadcast: Broadcast;
  log: Logger;
  readiness: () => Promise<Readiness>;
  /** Where uploaded icons live: the NATS object store, or a folder in the one-process mode. */
  uploads: UploadStore;
  /** The API's public base URL (no /api/v1); without it the document's server URL is relative. */
  publicUrl?: string;
  /** Origins a browser may call the API from (`*` for any); none by default. */
  corsOrigins: readonly string[];
  authCacheTtlMs: number;
  authCacheMax: number;
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Counted requests, answered at GET /metrics (the one-process mode shares one with its services). */
  metrics?: Metrics;
}

/** The configuration-derived part of the options, shared by the gateway's own process and the one-process mode. */
export function gatewaySettings(config: {
  PUBLIC_URL?: string;
  CORS_ORIGINS: readonly string[];
  AUTH_CACHE_TTL_MS: number;
  AUTH_CACHE_MAX: number;
  RATE_LIMIT_PER_MINUTE: number;
  AUTH_RATE_LIMIT_PER_MINUTE: number;
  TRUST_PROXY?: FastifyServerOptions['trustProxy'];
}) {
  return {
    publicUrl: config.PUBLIC_URL,
    corsOrigins: config.CORS_ORIGINS,
    authCacheTtlMs: config.AUTH_CACHE_TTL_MS,
    authCacheMax: config.AUTH_CACHE_MAX,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    authRateLimitPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  } satisfies Partial<GatewayOptions>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The type and subtype lower-cased, the parameters as sent. */
function lowerCaseMediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return semicolon === -1 ? contentType.toLowerCase() : contentType.slice(0, semicolon).toLowerCase() + contentType.slice(semicolon);
}
export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: options.trustProxy ?? false,
    // Echo a caller's request id when it is sane, so it can follow the call into every log.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Errors Fastify raises before routing (a malformed URL, say) get the envelope and request id too.
    frameworkErrors: (error, request, reply) => {
      const envelope = errorEnvelope({ apiCode: 'BAD_REQUEST', message: error.message || 'Bad request' });
      void (reply as FastifyReply).header('x-request-id', request.id).status(400).send(envelope);
    },
    clientErrorHandler,
    // A request arriving on a kept-alive connection while the gateway stops is still served (with
    // `Connection: close`): everything behind it still runs, and a 503 would fail it for nothing.
    return503OnClosing: false,
    // One line per request is written by the onResponse hook below, with the status and timing.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
  });

  // A span per request while tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT); before any route is added.
  if (tracingOn()) registerTracing(app, API_PREFIX);

  const authenticator = createAuthenticator({
    transport: options.transport,
    broadcast: options.broadcast,
    ttlMs: options.authCacheTtlMs,
    max: options.authCacheMax,
  });
  app.addHook('onClose', async () => authenticator.close());

  const router = createGatewayRouter(options.transport, authenticator);
  // Relative unless PUBLIC_URL says otherwise: "Try it" then calls whichever host served the page.
  // Built on its first request, not at start-up (~0.1 s of CPU for a document most starts never serve).
  let documentJson: string | undefined;
  const openApiDocumentJson = () =>
    (documentJson ??= JSON.stringify(buildOpenApiDocument(router, `${options.publicUrl ?? ''}${API_PREFIX}`)));

  const stop = registerStopping(app);
  // Hooks on every request take a callback, not a promise: no promise and microtask per hook.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // No browser guesses another type than the one declared; API answers (tokens and keys among
    // them) are never stored by a cache.
    reply.header('x-content-type-options', 'nosniff');
    if (request.raw.url?.startsWith(API_PREFIX)) reply.header('cache-control', 'no-store');
    // Media types are case-insensitive (RFC 9110 §8.3.1): APPLICATION/JSON is JSON.
    const contentType = request.headers['content-type'];
    if (contentType) request.headers['content-type'] = lowerCaseMediaType(contentType);
    // The REST adapter rewrites raw.url (it strips /api/v1); keep the URL the client sent, which
    // Fastify's lazily computed `originalUrl` then reports in every later hook.
    (request.raw as { originalUrl?: string }).originalUrl ??= request.raw.url;
    done();
  });
  registerRequestLog(app, createUrlDescriber(API_PREFIX, REST_OPERATIONS.values()));
  const { metrics } = options;
  if (metrics) {
    // Counted under the REST operation its method and URL reach, else its own route's pattern.
    const findOperation = createOperationFinder(API_PREFIX, REST_OPERATIONS.values());
    const operationNameOf = (request: FastifyRequest): string => {
      const operation = findOperation(request.method, request.originalUrl);
      if (operation) return restOperationName(operation);
      const route = request.routeOptions.url;
      return route && !route.endsWith('*') ? route : 'unmatched';
    };
    app.addHook('onResponse', (request, reply, done) => {
      const labels = { operation: operationNameOf(request), method: request.method, status: String(reply.statusCode) };
      metrics.httpRequests.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }

  registerEncodingGuard(app);
  registerJsonBodyParser(app);
  // Body-less POSTs (no content type at all) reach the REST adapter as an empty JSON body.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.body === undefined && !request.headers['content-type'] && request.originalUrl.startsWith(API_PREFIX)) {
      request.headers['content-type'] = 'application/json';
    }
    done();
  });

  // One envelope for every error, whoever raised it (the REST adapter adds fields of its own to
  // the envelope the error formatter made); 204s leave without a body or content type.
  const finalPayload = (request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown => {
    if (reply.statusCode === 204) {
      reply.removeHeader('content-type');
      return '';
    }
    if (reply.statusCode >= 400 && typeof payload === 'string' && request.originalUrl.startsWith(API_PREFIX)) {
      try {
        const body = JSON.parse(payload) as { success?: unknown; error?: unknown };
        if (body.success === false && body.error) return JSON.stringify({ success: false, error: body.error });
      } catch {
        // Not JSON: leave it.
      }
    }
    return payload;
  };

  app.addHook('onSend', (request, reply, payload, done) => {
    done(null, finalPayload(request, reply, payload));
  });

  app.setErrorHandler((error, request, reply) => {
    // The upload store on JetStream, say, while a node is lost: retrying is safe, as for any 503.
    const apiError = isBrokerUnavailable(error)
      ? ({ apiCode: 'SERVICE_UNAVAILABLE', message: 'The broker did not answer in time; retry' } as const)
      : apiErrorOfHttpError(error as { statusCode?: number; code?: string; message: string });
    if (apiError.apiCode === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unhandled error');
    void reply.status(statusOf(apiError.apiCode)).send(errorEnvelope(apiError));
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(errorEnvelope({ apiCode: 'NOT_FOUND', message: 'No such route' }));
  });

  // Before the rate limit: a preflight is answered at once and costs no budget.
  await registerCors(app, options.corsOrigins);

  if (options.rateLimitPerMinute > 0 || options.authRateLimitPerMinute > 0) {
    // Sign-in, registration, invite tokens and password changes get their own, much lower, limit:
    // what guessing hits. Both from contract metadata (`rest.rateLimit: 'secret'`, `password`).
    const isSecretRoute = createSecretRouteMatcher(API_PREFIX, REST_OPERATIONS.values());
    const takesPassword = passwordOperationMatcher(API_PREFIX);
    const isCredentialRoute = (request: { method: string; originalUrl: string }) =>
      isSecretRoute(request.originalUrl) || takesPassword(request.method, request.originalUrl);
    await app.register(rateLimit, {
      timeWindow: 60_000,
      max: (request) =>
        isCredentialRoute(request)
          ? options.authRateLimitPerMinute || Number.MAX_SAFE_INTEGER
          : options.rateLimitPerMinute || Number.MAX_SAFE_INTEGER,
      keyGenerator: (request) => `${request.ip}:${isCredentialRoute(request) ? 'auth' : 'api'}`,
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: 429 }),
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  if (metrics) {
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  }
  app.get('/readyz', async (_request, reply) => {
    if (stop.stopping) return reply.status(503).send({ status: 'stopping', checks: {} });
    const readiness = await options.readiness();
    void reply.status(readiness.ready ? 200 : 503);
    return { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks, details: readiness.details };
  });

  app.get(`${API_PREFIX}/openapi.json`, async (_request, reply) => reply.type('application/json').send(openApiDocumentJson()));
  await registerDocs(app, {
    documentPath: `${API_PREFIX}/openapi.json`,
    title: OPENAPI_TITLE,
    apiOrigins: options.publicUrl ? [new URL(options.publicUrl).origin] : [],
  });

  // Multipart icon upload and /uploads serving: routes of their own, before the adapter's wildcard.
  await registerUploads(app, { transport: options.transport, authenticator, uploads: options.uploads, prefix: API_PREFIX });

  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: API_PREFIX,
    router,
    // The adapter hands over Fastify's request.
    createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }): GatewayContext => {
      return {
        requestId: req.id,
        credential: credentialFromHeaders(req.headers),
        body: req.body,
        idempotencyKey: req.headers['idempotency-key'],
        ifMatch: req.headers['if-match'],
        ifNoneMatch: req.headers['if-none-match'],
        setResponseHeader: (name, value) => void res.header(name, value),
      };
    },
    responseMeta: ({ paths, errors, ctx }: { paths?: readonly string[]; errors: unknown[]; ctx?: GatewayContext }) => {
      const [first] = errors;
      if (first) {
        const apiError = apiErrorOf(getTRPCErrorFromUnknown(first));
        const headers = apiError.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(apiError.retryAfterSeconds) };
        return { status: statusOf(apiError.apiCode), headers };
      }
      // A conditional read whose If-None-Match named the current ETag (see the router's GatewayContext).
      if (ctx?.notModified) return { status: 304 };
      const operation = paths?.[0] ? REST_OPERATIONS.get(paths[0]) : undefined;
      return { status: operation?.operation.rest?.status ?? 200 };
    },
    onError: ({ error, req }: { error: { code: string }; req: { log: Logger } }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error }, 'procedure failed');
    },
  } as never);

  return app;
}
