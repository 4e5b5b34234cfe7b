import { z } from 'zod';
import { encryptionEnvShape, eventsEnvShape, loadConfig, serviceEnvShape } from '@atrium/service-runtime/settings';

/** What environments needs besides any service's settings: the keys of secret variables and its role cache. */
export const environmentsOwnEnvShape = {
  ...encryptionEnvShape,
  ROLE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  ROLE_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
};

export const environmentsEnvShape = { ...serviceEnvShape, ...eventsEnvShape, ...environmentsOwnEnvShape };

export type EnvironmentsConfig = ReturnType<typeof loadEnvironmentsConfig>;
export const loadEnvironmentsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(environmentsEnvShape, env);
