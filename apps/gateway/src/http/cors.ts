import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** What a browser on another origin may send: the credentials, the request id and idempotency key. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-api-key', 'idempotency-key', 'x-request-id'];
/** What a script on another origin may read besides the CORS-safelisted response headers. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/**
 * `CORS_ORIGINS`: a comma-separated list of origins (`https://app.example.com`) allowed to call
 * the API from a browser, or `*` for any. Empty (the default) allows none: the docs page calls
 * the API from its own origin and needs no CORS.
 */
export const corsOriginsSchema = z
  .string()
  .default('')
  .transform((value, context) => {
    const origins = value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (origin === '*') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      // An origin is scheme://host[:port] and nothing else; browsers send it without a trailing slash.
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        context.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
      }
    }
    return origins;
  });

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
