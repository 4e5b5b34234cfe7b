import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { natsServerBinary, waitForPort } from './nats-server.js';

/** One node of a test cluster: stop it (as a node lost) and start it again on the same ports and store. */
export interface NatsClusterNode {
  /** `n1`, `n2`, …: its server_name, which JetStream reports as a stream's leader or replica. */
  name: string;
  /** Where clients connect to this node alone. */
  url: string;
  /** Its monitoring endpoint (`/connz`, `/jsz`, `/routez`). */
  monitorUrl: string;
  running(): boolean;
  /** SIGTERM, as a container stop, and waits for it to exit; its store stays. */
  stop(): Promise<void>;
  /** Starts it again with the same name, ports, routes and store; resolves once it listens. */
  start(): Promise<void>;
}

export interface RunningNatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  url: string;
  /** Stops every node and removes their stores. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** How many nodes; 3 by default (JetStream needs a majority: 3 survive one node down). */
  size?: number;
  /** nats-server configuration every node runs with too (an `authorization` block, say). */
  config?: string;
  /** The cluster's name; `atrium` by default. */
  name?: string;
}

/**
 * A cluster of nats-servers on 127.0.0.1, as production runs it (see infra/): JetStream on each
 * node, each its own store, full-mesh routes between them, the same `config` on all.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<RunningNatsCluster> {
  const size = options.size ?? 3;
  const clusterName = options.name ?? 'atrium';
  const root = await mkdtemp(join(tmpdir(), 'atrium-nats-cluster-'));
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort(), monitor: await freePort() })),
  );
  const routes = ports.map((port) => `nats-route://127.0.0.1:${port.route}`);
  const nodes = await Promise.all(
    ports.map(async (port, i) => {
      const name = `n${i + 1}`;
      const storeDir = join(root, name, 'jetstream');
      const configFile = join(root, `${name}.conf`);
      await writeFile(
        configFile,
        [
          `server_name: ${name}`,
          'host: 127.0.0.1',
          `port: ${port.client}`,
          `http: "127.0.0.1:${port.monitor}"`,
          `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
          'cluster {',
          `  name: ${clusterName}`,
          `  listen: "127.0.0.1:${port.route}"`,
          `  routes: [${routes.filter((_, j) => j !== i).join(', ')}]`,
          '}',
          options.config ?? '',
        ].join('\n'),
        { mode: 0o600 },
      );
      let child: ReturnType<typeof spawn> | undefined;
      let exited: Promise<void> = Promise.resolve();
      const node: NatsClusterNode = {
        name,
        url: `nats://127.0.0.1:${port.client}`,
        monitorUrl: `http://127.0.0.1:${port.monitor}`,
        running: () => child !== undefined,
        async start() {
          if (child) throw new Error(`${name} is running`);
          const started = spawn(natsServerBinary(), ['-c', configFile], { stdio: 'ignore' });
          let gone = false;
          child = started;
          exited = new Promise<void>((resolve) =>
            started.once('exit', () => {
              gone = true;
              if (child === started) child = undefined;
              resolve();
            }),
          );
          try {
            await waitForPort(port.client, 10_000, () => gone);
          } catch (error) {
            started.kill('SIGKILL');
            throw error;
          }
        },
        async stop() {
          if (!child) return;
          child.kill('SIGTERM');
          await exited;
        },
      };
      return node;
    }),
  );
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((node) => node.start()));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { nodes, url: nodes.map((node) => node.url).join(','), stop: stopAll };
}
