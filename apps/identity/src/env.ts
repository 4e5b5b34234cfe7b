import { z } from 'zod';
import {
  StartupError,
  encryptionEnvShape,
  encryptionKeys,
  eventsEnvShape,
  loadConfig,
  serviceEnvShape,
} from '@atrium/service-runtime/settings';

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
  /** Invite mails go through this SMTP server (`smtp://user:pass@host:587`, `smtps://…`); without it their links are logged. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  /** The From: of those mails (`Atrium <atrium@example.com>`); required with SMTP_URL. */
  MAIL_FROM: z
    .string()
    .regex(/^[^\r\n]*@[^\r\n]*$/, { error: 'must be an e-mail address, optionally with a name: Atrium <atrium@example.com>' })
    .optional(),
  // Queued mails are sealed with it (they carry invite links); required with SMTP_URL.
  ENCRYPTION_KEY: encryptionEnvShape.ENCRYPTION_KEY.optional(),
  ENCRYPTION_KEYS: encryptionEnvShape.ENCRYPTION_KEYS,
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;
export const loadIdentityConfig = (env?: NodeJS.ProcessEnv) => {
  const config = loadConfig(identityEnvShape, env);
  mailSettings(config);
  return config;
};

export interface MailSettings {
  smtpUrl: string;
  from: string;
  encryptionKey: Buffer;
  previousEncryptionKeys: Buffer[];
}

/** Mail delivery's settings when SMTP_URL is set (MAIL_FROM and ENCRYPTION_KEY then required); none without it. */
export function mailSettings(config: {
  SMTP_URL?: string;
  MAIL_FROM?: string;
  ENCRYPTION_KEY?: string;
  ENCRYPTION_KEYS: string;
}): MailSettings | undefined {
  const { SMTP_URL, MAIL_FROM, ENCRYPTION_KEY } = config;
  if (!SMTP_URL) return undefined;
  if (!MAIL_FROM || !ENCRYPTION_KEY) {
    const missing = [!MAIL_FROM && 'MAIL_FROM', !ENCRYPTION_KEY && 'ENCRYPTION_KEY'].filter(Boolean);
    throw new StartupError(`Invalid configuration: ${missing.map((name) => `${name} is required with SMTP_URL`).join('; ')}`);
  }
  return { smtpUrl: SMTP_URL, from: MAIL_FROM, ...encryptionKeys({ ENCRYPTION_KEY, ENCRYPTION_KEYS: config.ENCRYPTION_KEYS }) };
}
