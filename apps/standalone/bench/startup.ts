/**
 * How long `pnpm start` takes to a healthy `/healthz`, exactly as a newcomer runs it (embedded
 * PostgreSQL, and its own nats-server when the binary is found): first in an empty data folder
 * (the cluster is created), then again on the cluster it left.
 */
import { readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@atrium/local-infra';
import { WORKSPACE_ROOT, launch, waitFor } from './launch.js';
import { cmdline, inSession, loadAverage } from './procfs.js';

export interface StartupTimes {
  /** `pnpm start` to 200 on /healthz with an empty DATA_DIR, ms (median). */
  firstStartMs: number;
  /** The same on the data the first start left, ms. */
  nextStartMs: number;
  /** Every run (the figures above are their medians). */
  firstStartRunsMs: number[];
  nextStartRunsMs: number[];
}

async function startOnce(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const app = launch('pnpm start', 'pnpm', ['start'], WORKSPACE_ROOT, {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitFor('pnpm start answers /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, [app]);
    return Math.round(performance.now() - started);
  } finally {
    // As Ctrl-C stops it: SIGINT to Atrium's own process. pnpm 12 runs each script in a process
    // group of its own and passes no signal on, so the launched group alone would stop nothing.
    for (const pid of inSession(app.pid, 'node')) process.kill(pid, 'SIGINT');
    await app.exited;
    await app.stop();
    // pnpm may leave before the embedded PostgreSQL has let go of the data folder.
    await waitFor('the embedded PostgreSQL stops', async () => !postgresOn(dataDir), []);
  }
}

/** Whether any process still runs on the data folder (its command line names it). */
function postgresOn(dataDir: string): boolean {
  return readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && cmdline(Number(pid)).some((arg) => arg.startsWith(dataDir)));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** `rounds` times (BENCH_STARTUP_RUNS, 3 by default): a first start in a fresh folder, then a start on it; the medians count. */
export async function measureStartup(rounds = Number(process.env.BENCH_STARTUP_RUNS ?? 3)): Promise<StartupTimes> {
  const first: number[] = [];
  const next: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const folder = await mkdtemp(join(tmpdir(), 'atrium-bench-start-'));
    // Enterable by the postgres user when the bench runs as root (else the data would be moved).
    await chmod(folder, 0o755);
    const dataDir = join(folder, 'data');
    try {
      first.push(await startOnce(dataDir));
      next.push(await startOnce(dataDir));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    console.log(
      `pnpm start to a healthy /healthz: ${first.at(-1)} ms on first start, ${next.at(-1)} ms after (load average ${loadAverage()})`,
    );
  }
  return { firstStartMs: median(first), nextStartMs: median(next), firstStartRunsMs: first, nextStartRunsMs: next };
}
