/**
 * The deployed shape with several instances of each app, as an operator runs it: every instance
 * `node dist/src/main.js` (the built app) with its app's key and bus credentials, on one private
 * nats-server (with the bus permissions) and one PostgreSQL. Instances can be killed, stopped
 * and started again by name.
 */
import { randomBytes } from 'node:crypto';
import { busAuth, createTestDatabase, freePort, startTestInfra } from '@atrium/local-infra';
import type { TestDatabase, TestInfra } from '@atrium/local-infra';
import { generateKeyEnvironment } from '@atrium/service-runtime';
import { appDir, deployedNodeFlags, launchNode, waitFor } from './launch.js';
import type { Launched } from './launch.js';
import type { AppName } from '@atrium/contract';

export type App = AppName;

export interface Instance {
  name: string;
  app: App;
  /** The gateway's API; a service's probes (METRICS_PORT). */
  url: string;
  process: Launched;
}

export interface Fleet {
  databaseUrl: string;
  /** Starts an instance and waits until its /readyz answers 200. */
  start(app: App, name: string): Promise<Instance>;
  instance(name: string): Instance;
  stop(): Promise<void>;
}

async function ready(url: string): Promise<boolean> {
  const response = await fetch(`${url}/readyz`);
  return response.ok;
}

export async function startFleet(settings: Record<string, string> = {}): Promise<Fleet> {
  const infra: TestInfra = await startTestInfra();
  let database: TestDatabase | undefined;
  const instances = new Map<string, Instance>();
  try {
    database = await createTestDatabase(infra.databaseUrl, 'failover_trial');
    const keys = generateKeyEnvironment();
    // One key for every environments instance: each must read what another sealed.
    const encryptionKey = randomBytes(32).toString('base64');
    const common = { DATABASE_URL: database.url, NATS_URL: infra.natsUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...settings };

    const start = async (app: App, name: string): Promise<Instance> => {
      const port = await freePort();
      const listen = app === 'gateway' ? { PORT: String(port), HOST: '127.0.0.1' } : { METRICS_PORT: String(port) };
      const env = { ...common, ...keys[app], ...busAuth(infra.natsCredentials, app), ...listen, ENCRYPTION_KEY: encryptionKey };
      const launched = launchNode(name, [...deployedNodeFlags(app), 'dist/src/main.js'], { cwd: appDir(app), env });
      const instance = { name, app, url: `http://127.0.0.1:${port}`, process: launched };
      instances.set(name, instance);
      await waitFor(`${name} is ready`, () => ready(instance.url), [launched]);
      return instance;
    };

    return {
      databaseUrl: database.url,
      start,
      instance(name) {
        const found = instances.get(name);
        if (!found) throw new Error(`no instance ${name}`);
        return found;
      },
      async stop() {
        await Promise.all([...instances.values()].map((instance) => instance.process.stop()));
        await database?.drop().catch(() => undefined);
        await infra.stop();
      },
    };
  } catch (error) {
    await Promise.all([...instances.values()].map((instance) => instance.process.stop()));
    await database?.drop().catch(() => undefined);
    await infra.stop();
    throw error;
  }
}
