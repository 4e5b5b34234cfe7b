import { EmbeddedPostgresError } from '@atrium/local-infra/embedded';
import { mailSettings } from '@atrium/identity/env';
import type { MailSettings } from '@atrium/identity/env';
import { StartupError, databasePool } from '@atrium/service-runtime/settings';
import type { Logger } from '@atrium/service-runtime/settings';
// Only a type: the ORM itself is loaded later, with the rest.
import type { PoolOptions } from '@atrium/service-runtime';
import { DataDirInUseError } from './data-dir.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import type { EmbeddedDatabase } from './embedded-database.js';
import { resolveEncryptionKey } from './encryption-key.js';
import type { StandaloneConfig } from './env.js';
import { ensurePortFree } from './port.js';

/** What is settled before the services start (see preflight). */
export interface Preflight {
  encryptionKey: string;
  mail: MailSettings | undefined;
  /** The services' connection pools (DB_POOL_MAX, DB_ACQUIRE_TIMEOUT_MS). */
  pool: PoolOptions;
  /**
   * The embedded PostgreSQL, starting; none with DATABASE_URL. Whoever awaits it owns it and
   * stops it (startSystem, or main.ts when the rest of Atrium fails to load).
   */
  database?: Promise<EmbeddedDatabase>;
}

/**
 * Every check a person can act on — pool settings, the key, mail settings, the port — then the
 * embedded PostgreSQL set starting, without waiting for it. Its modules are few (zod, pino, the
 * apps' settings, local-infra's PostgreSQL start; no MikroORM, Fastify, NATS or tRPC), so
 * `pnpm start` runs it before loading the rest of Atrium, which then loads while PostgreSQL
 * starts (main.ts). A start that fails here has started nothing, and touched the data folder
 * only to keep its encryption key (see resolveEncryptionKey).
 */
export async function preflight(config: StandaloneConfig, log: Logger): Promise<Preflight> {
  const pool = databasePool(config);
  const encryptionKey = resolveEncryptionKey(config);
  const mail = mailSettings({ ...config, ENCRYPTION_KEY: encryptionKey });
  await ensurePortFree(config.HOST, config.PORT);
  if (config.DATABASE_URL) return { encryptionKey, mail, pool };
  const database = startEmbeddedDatabase(
    config.DATA_DIR,
    config.EMBEDDED_POSTGRES_PORT,
    (line) => log.debug({ postgres: line.trim() }),
    (line) => log.warn(line),
  ).then(
    (embedded) => {
      log.debug({ dataDir: embedded.postgres.dataDir }, 'embedded PostgreSQL started');
      return embedded;
    },
    (error: unknown) => {
      // Already worded for the person starting Atrium: printed as it is.
      throw error instanceof EmbeddedPostgresError || error instanceof DataDirInUseError ? new StartupError(error.message) : error;
    },
  );
  // Awaited once the rest has loaded; a failure in the meantime is not an unhandled rejection.
  database.catch(() => undefined);
  return { encryptionKey, mail, pool, database };
}
