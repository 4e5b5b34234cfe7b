import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DELAY = /^(\d+)(ms|s|m|h)$/;

/** `5s,30s,2m` → [5000, 30000, 120000]; undefined when any entry is not `<number><ms|s|m|h>`. */
export function parseRetrySchedule(value: string): number[] | undefined {
  const delays: number[] = [];
  for (const entry of value.split(',')) {
    const match = DELAY.exec(entry.trim());
    if (!match) return undefined;
    delays.push(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  }
  return delays;
}

/** About 5 s, 30 s, 2 min, 10 min, 1 h, then doubling to 12 h: ten attempts over 27 hours. */
export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,1h,2h,4h,8h,12h';

/** Projects' webhook delivery settings (a module of its own: the one-process mode takes it too). */
export const webhooksEnvShape = {
  WEBHOOKS_ALLOW_PRIVATE_URLS: z
    .enum(['true', 'false'], { error: 'WEBHOOKS_ALLOW_PRIVATE_URLS must be true or false' })
    .default('false')
    .transform((value) => value === 'true')
    .meta({ description: 'Let webhooks point at loopback, private and link-local addresses (development and tests only)' }),
  WEBHOOKS_RETRY_SCHEDULE: z
    .string()
    .refine((value) => parseRetrySchedule(value) !== undefined, 'must be delays like 5s,30s,2m,1h (units ms, s, m, h)')
    .default(DEFAULT_RETRY_SCHEDULE)
    .meta({ description: 'The delays before each retry of a failed delivery; after the last one it is marked failed' }),
  WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Deliveries in flight in one process, and for one project (a slow endpoint holds only its project's share). */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  WEBHOOKS_CONCURRENCY_PER_PROJECT: z.coerce.number().int().min(1).max(1000).default(4),
};

export interface WebhookSettings {
  allowPrivateUrls: boolean;
  /** Delays before each retry, in ms: attempts = its length + 1. */
  retryScheduleMs: number[];
  timeoutMs: number;
  concurrency: number;
  concurrencyPerProject: number;
  /** How often the worker looks for due deliveries when nothing woke it. */
  pollIntervalMs?: number;
}

export function webhookSettings(config: {
  WEBHOOKS_ALLOW_PRIVATE_URLS: boolean;
  WEBHOOKS_RETRY_SCHEDULE: string;
  WEBHOOKS_TIMEOUT_MS: number;
  WEBHOOKS_CONCURRENCY: number;
  WEBHOOKS_CONCURRENCY_PER_PROJECT: number;
}): WebhookSettings {
  return {
    allowPrivateUrls: config.WEBHOOKS_ALLOW_PRIVATE_URLS,
    retryScheduleMs: parseRetrySchedule(config.WEBHOOKS_RETRY_SCHEDULE)!,
    timeoutMs: config.WEBHOOKS_TIMEOUT_MS,
    concurrency: config.WEBHOOKS_CONCURRENCY,
    concurrencyPerProject: config.WEBHOOKS_CONCURRENCY_PER_PROJECT,
  };
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowPrivateUrls: false,
  retryScheduleMs: parseRetrySchedule(DEFAULT_RETRY_SCHEDULE)!,
  timeoutMs: 10_000,
  concurrency: 32,
  concurrencyPerProject: 4,
};
