import { z } from 'zod';
import { eventsEnvShape, loadConfig, serviceEnvShape } from '@atrium/service-runtime';

export const identityEnvShape = {
  ...serviceEnvShape,
  ...eventsEnvShape,
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** `invite-only`: only e-mails with a pending invite may register (the first user always may). */
  AUTH_REGISTRATION: z.enum(['open', 'invite-only']).default('open'),
  /** How long an invite can be accepted. */
  INVITE_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  /** Public base URL (`https://api.example.com`) the accept links in invites start with; relative links without it. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((url) => url?.replace(/\/+$/, '')),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;
export const loadIdentityConfig = (env?: NodeJS.ProcessEnv) => loadConfig(identityEnvShape, env);
