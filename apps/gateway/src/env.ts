import { z } from 'zod';
import { busEnvShape, callerEnvShape, loadConfig, portSchema, uploadsEnvShape } from '@atrium/service-runtime/settings';
import { corsOriginsSchema } from './http/cors-origins.js';

export const gatewayEnvShape = {
  ...busEnvShape,
  ...callerEnvShape,
  ...uploadsEnvShape,
  HOST: z.string().default('0.0.0.0'),
  PORT: portSchema(3000),
  /**
   * Public base URL (`https://api.example.com`), written into the OpenAPI document as its server.
   * Unset, the server URL is relative (`/api/v1`): right for whichever host served the document.
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((url) => url?.replace(/\/+$/, '')),
  /** Origins allowed to call the API from a browser, comma-separated, or `*`; none by default. */
  CORS_ORIGINS: corsOriginsSchema,
  /** How long a verified credential is trusted without asking identity again. */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  AUTH_CACHE_MAX: z.coerce.number().int().positive().default(10_000),
  /** Requests per minute per client address; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(3000),
  /** Sign-in and registration attempts per minute per client address; 0 turns the limit off. */
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(20),
  /**
   * On SIGTERM, how long the gateway keeps serving while unready (`/readyz` 503) before it stops
   * listening, for load balancers that learn of it by probing. 0 under Kubernetes (preStop waits).
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  /**
   * Once it has stopped listening, how long the gateway lets the requests in flight finish before
   * it closes the connections still open (clients not reading their answers, or trickling a body).
   * Unset: twice NATS_REQUEST_TIMEOUT_MS (see `stopTimings`).
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().max(120_000).optional(),
  /** Trust X-Forwarded-For from a reverse proxy: `true`, or a comma-separated list of proxy addresses. */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === 'false' ? false : value === 'true' ? true : value)),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const loadGatewayConfig = (env?: NodeJS.ProcessEnv) => loadConfig(gatewayEnvShape, env);
