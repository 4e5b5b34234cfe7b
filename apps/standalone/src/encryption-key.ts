import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError, generateKey } from '@atrium/service-runtime/settings';

/**
 * The key sealing secret variables. Given, it is used; in the embedded mode (no DATABASE_URL)
 * one is generated on the first start and kept beside the data it protects (DATA_DIR, mode
 * 0600), so a restart can still open every secret. With an external database it must be given:
 * a key made up here would be lost with the machine while the database lives on.
 */
export function resolveEncryptionKey(config: { ENCRYPTION_KEY?: string; DATABASE_URL?: string; DATA_DIR: string }): string {
  if (config.ENCRYPTION_KEY) return config.ENCRYPTION_KEY;
  if (config.DATABASE_URL) {
    throw new StartupError('Invalid configuration: ENCRYPTION_KEY is required with DATABASE_URL (openssl rand -base64 32)');
  }
  const file = join(config.DATA_DIR, 'encryption.key');
  mkdirSync(config.DATA_DIR, { recursive: true });
  try {
    // `wx`: created only if absent, so two starts racing keep one key.
    writeFileSync(file, `${generateKey()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
