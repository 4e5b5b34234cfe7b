import { z } from 'zod';
import { eventsEnvShape, loadConfig, serviceEnvShape } from '@atrium/service-runtime';
import { KEY_BYTES, parseKey } from './secrets/cipher.js';

const isKey = (value: string) => Buffer.from(value.trim(), 'base64').length === KEY_BYTES;
const keyMessage = `must be ${KEY_BYTES} random bytes, base64-encoded (openssl rand -base64 32)`;

/** What environments needs besides any service's settings: the keys of secret variables and its role cache. */
export const environmentsOwnEnvShape = {
  ENCRYPTION_KEY: z.string().refine(isKey, keyMessage).meta({ description: 'Key sealing secret variables (AES-256-GCM)' }),
  ENCRYPTION_KEYS: z
    .string()
    .default('')
    .refine((list) => list.split(',').every((key) => !key.trim() || isKey(key)), `every key ${keyMessage}`)
    .meta({ description: 'Previous keys, comma-separated: they still open the values they sealed (rotation)' }),
  ROLE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  ROLE_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
};

export const environmentsEnvShape = { ...serviceEnvShape, ...eventsEnvShape, ...environmentsOwnEnvShape };

export type EnvironmentsConfig = ReturnType<typeof loadEnvironmentsConfig>;
export const loadEnvironmentsConfig = (env?: NodeJS.ProcessEnv) => loadConfig(environmentsEnvShape, env);

/** The parsed keys of a configuration: the current one seals, the previous ones still open. */
export function encryptionKeys(config: { ENCRYPTION_KEY: string; ENCRYPTION_KEYS: string }) {
  return {
    encryptionKey: parseKey(config.ENCRYPTION_KEY, 'ENCRYPTION_KEY'),
    previousEncryptionKeys: config.ENCRYPTION_KEYS.split(',')
      .filter((key) => key.trim())
      .map((key) => parseKey(key, 'ENCRYPTION_KEYS')),
  };
}
