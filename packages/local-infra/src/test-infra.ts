import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './postgres.js';
import { startNatsServer } from './nats-server.js';

export interface TestInfra {
  databaseUrl: string;
  natsUrl: string;
  stop(): Promise<void>;
}

/**
 * What a test run talks to: the PostgreSQL and NATS named by DATABASE_URL / NATS_URL when
 * set, otherwise a private embedded PostgreSQL and nats-server on free ports, so runs are
 * hermetic and never collide.
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
  if (!natsUrl) {
    const nats = await startNatsServer();
    natsUrl = nats.url;
    stops.push(nats.stop);
  }
  return {
    databaseUrl,
    natsUrl,
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
