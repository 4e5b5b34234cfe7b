import { z } from 'zod';
import { KEY_BYTES, parseKey } from './cipher.js';

const isKey = (value: string) => Buffer.from(value.trim(), 'base64').length === KEY_BYTES;
const keyMessage = `must be ${KEY_BYTES} random bytes, base64-encoded (openssl rand -base64 32)`;

/** The keys of a service that seals secrets at rest (see createSecretCipher): the current one, and previous ones while rotating. */
export const encryptionEnvShape = {
  ENCRYPTION_KEY: z.string().refine(isKey, keyMessage).meta({ description: 'Key sealing secrets at rest (AES-256-GCM)' }),
  ENCRYPTION_KEYS: z
    .string()
    .default('')
    .refine((list) => list.split(',').every((key) => !key.trim() || isKey(key)), `every key ${keyMessage}`)
    .meta({ description: 'Previous keys, comma-separated: they still open the values they sealed (rotation)' }),
};

/** The parsed keys of a configuration: the current one seals, the previous ones still open. */
export function encryptionKeys(config: { ENCRYPTION_KEY: string; ENCRYPTION_KEYS: string }) {
  return {
    encryptionKey: parseKey(config.ENCRYPTION_KEY, 'ENCRYPTION_KEY'),
    previousEncryptionKeys: config.ENCRYPTION_KEYS.split(',')
      .filter((key) => key.trim())
      .map((key) => parseKey(key, 'ENCRYPTION_KEYS')),
  };
}
