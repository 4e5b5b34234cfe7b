import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RunningNats {
  url: string;
  stop(): Promise<void>;
}

/** `nats-server` from PATH, or where Debian's package puts it (/usr/sbin is not on every PATH). */
export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  throw new Error('nats-server was not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN');
}

/** Resolves once something listens on `port`; rejects past `timeoutMs`, or at once when `exited()` says the server is gone. */
export function waitForPort(port: number, timeoutMs: number, exited: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connectTcp(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (exited()) reject(new Error(`nats-server exited before it listened on ${port}`));
        else if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export interface NatsServerOptions {
  /** A fixed port (to restart a server where clients will reconnect); a free one by default. */
  port?: number;
  /** Where JetStream keeps its data, kept on stop; a temporary folder, removed on stop, by default. */
  storeDir?: string;
  /** nats-server configuration to run with (an `authorization` block, say); none by default. */
  config?: string;
}

/** Starts a private nats-server with JetStream on a free port, its store in a temporary folder. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNats> {
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'atrium-nats-')));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  let configDir: string | undefined;
  if (options.config) {
    configDir = await mkdtemp(join(tmpdir(), 'atrium-nats-config-'));
    await writeFile(join(configDir, 'nats.conf'), options.config, { mode: 0o600 });
    args.push('-c', join(configDir, 'nats.conf'));
  }
  const child = spawn(natsServerBinary(), args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (!options.storeDir) await rm(storeDir, { recursive: true, force: true });
      if (configDir) await rm(configDir, { recursive: true, force: true });
    },
  };
}
