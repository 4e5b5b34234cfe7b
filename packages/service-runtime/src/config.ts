import { z } from 'zod';
import { LOG_LEVELS } from './logger.js';

/** Settings every service reads; each app's env.ts adds its own. */
export const serviceEnvShape = {
  DATABASE_URL: z.string().min(1).meta({ description: 'PostgreSQL connection URL' }),
  NATS_URL: z.string().min(1).meta({ description: 'NATS server URL(s), comma-separated' }),
  NATS_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  DB_POOL_MAX: z.coerce.number().int().positive().default(10),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
};

/**
 * Reads and validates configuration once at start-up; a bad or missing variable stops the
 * process with a message naming it. The only place that reads `process.env`.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return result.data;
}
