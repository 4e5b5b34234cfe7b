import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser on another origin may send: the credentials, the request id, idempotency key and preconditions. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-api-key', 'idempotency-key', 'x-request-id', 'if-match', 'if-none-match'];
/** What a script on another origin may read besides the CORS-safelisted response headers. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'etag'];

/**
 * Answers every preflight (204) and adds the CORS headers for allowed origins only; a request
 * from any other origin gets no `Access-Control-Allow-Origin`, so the browser keeps the answer
 * from the page. Credentials travel in headers, never cookies, so `credentials` stays off.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    // A bare OPTIONS (no Origin) is answered like a preflight instead of a text/plain 400.
    strictPreflight: false,
    // Browsers cap this (Chromium at 2 h); 10 min keeps a changed policy from lingering.
    maxAge: 600,
  });
}
