import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './postgres.js';
import { startNatsServer } from './nats-server.js';
import { generateBusCredentials, testBusAuthorization } from './bus-credentials.js';
import type { BusCredentials } from './bus-credentials.js';

export interface TestInfra {
  databaseUrl: string;
  natsUrl: string;
  /** Each app's NATS user on that server (empty for a NATS_URL given from outside, which may have none). */
  natsCredentials: BusCredentials;
  stop(): Promise<void>;
}

/**
 * What a test run talks to: the PostgreSQL and NATS named by DATABASE_URL / NATS_URL when
 * set, otherwise a private embedded PostgreSQL and nats-server on free ports, so runs are
 * hermetic and never collide. Our nats-server runs with the bus permissions of `infra/`.
 */
export async function startTestInfra(env: NodeJS.ProcessEnv = process.env): Promise<TestInfra> {
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'atrium-pg-'));
    const postgres = await startEmbeddedPostgres({ dataDir, persistent: false });
    databaseUrl = postgres.url;
    stops.push(async () => {
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
  }
  let natsUrl = env.NATS_URL;
  let natsCredentials: BusCredentials = {};
  if (!natsUrl) {
    // With the bus permissions of production on, so every test also proves they suffice.
    const credentials = generateBusCredentials();
    natsCredentials = credentials;
    const nats = await startNatsServer({ config: testBusAuthorization(credentials) });
    natsUrl = nats.url;
    stops.push(nats.stop);
  }
  return {
    databaseUrl,
    natsUrl,
    natsCredentials,
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
