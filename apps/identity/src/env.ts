import { z } from 'zod';
import { loadConfig, serviceEnvShape } from '@atrium/service-runtime';

export const identityEnvShape = {
  ...serviceEnvShape,
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;
export const loadIdentityConfig = (env?: NodeJS.ProcessEnv) => loadConfig(identityEnvShape, env);
