/**
 * Where the slow tail of `GET /projects/:id` at 1 connection goes, in the deployed shape (one
 * instance of each app, built): after a warm-up, N requests one after the other, each timed in
 * µs; every app runs with `--trace-gc` into TAIL_DIR/<app>.log, so the slowest requests can be
 * read against the GC pauses of the processes they crossed.
 *
 *   pnpm build && TAIL_REQUESTS=3000 TAIL_DIR=/tmp/tail pnpm --filter @atrium/standalone exec tsx --conditions=@atrium/source bench/tail.ts
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { busAuth, createTestDatabase, freePort, startTestInfra } from '@atrium/local-infra';
import { SERVICE_CONTRACTS } from '@atrium/contract';
import { generateKeyEnvironment } from '@atrium/service-runtime';
import { appDir, deployedNodeFlags, waitFor } from './launch.js';
import { loadAverage, readStat, vmHwm } from './procfs.js';
import { seed } from './seed.js';

/** Started in this order: the services, then the gateway. */
const APPS = [...(Object.keys(SERVICE_CONTRACTS) as (keyof typeof SERVICE_CONTRACTS)[]), 'gateway'] as const;

const REQUESTS = Number(process.env.TAIL_REQUESTS ?? 3000);
const WARMUP_MS = Number(process.env.TAIL_WARMUP_SECONDS ?? 10) * 1000;
const DIR = process.env.TAIL_DIR ?? '/tmp/atrium-tail';
/**
 * Every app's node flags instead of those it is deployed with (its start script's), e.g. `` (none)
 * or `--min-semi-space-size=8`: V8 flags NODE_OPTIONS refuses.
 */
const NODE_FLAGS = process.env.TAIL_NODE_FLAGS?.split(' ').filter(Boolean);
mkdirSync(DIR, { recursive: true });

const infra = await startTestInfra();
const children: ReturnType<typeof spawn>[] = [];
try {
  const database = await createTestDatabase(infra.databaseUrl, 'tail');
  const keys = generateKeyEnvironment();
  const gatewayPort = await freePort();
  const url = `http://127.0.0.1:${gatewayPort}`;
  const t0 = Date.now();
  for (const app of APPS) {
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      NATS_URL: infra.natsUrl,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...keys[app],
      ...busAuth(infra.natsCredentials, app),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      RATE_LIMIT_PER_MINUTE: '0',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      ...(app === 'gateway' ? { PORT: String(gatewayPort), HOST: '127.0.0.1' } : { METRICS_PORT: '0' }),
    };
    const child = spawn(process.execPath, ['--trace-gc', ...(NODE_FLAGS ?? deployedNodeFlags(app)), 'dist/src/main.js'], {
      cwd: appDir(app),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = createWriteStream(join(DIR, `${app}.log`));
    // Each line stamped with ms since t0, to line GC pauses up with the requests.
    const stamp = (chunk: Buffer) => out.write(chunk.toString().replace(/^(?=.)/gm, () => `${Date.now() - t0} `));
    child.stdout.on('data', stamp);
    child.stderr.on('data', stamp);
    children.push(child);
  }
  await waitFor('the gateway is ready', async () => (await fetch(`${url}/readyz`)).ok, []);
  const seeded = await seed(url, database.url);
  const get = async () => {
    const response = await fetch(`${url}/api/v1/projects/${seeded.projectId}`, { headers: { authorization: `Bearer ${seeded.token}` } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET answered ${response.status}`);
  };
  const warmUntil = performance.now() + WARMUP_MS;
  while (performance.now() < warmUntil) await get();
  const cpuBefore = children.map((child) => readStat(child.pid!)?.cpuUs ?? 0);
  const timings: { at: number; ms: number }[] = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const started = performance.now();
    await get();
    timings.push({ at: Date.now() - t0, ms: performance.now() - started });
  }
  const sorted = timings.map((t) => t.ms).sort((a, b) => a - b);
  const q = (p: number) => Math.round(sorted[Math.floor(p * (sorted.length - 1))]! * 100) / 100;
  console.log(
    `GET /projects/:id, 1 connection, ${REQUESTS} requests: p50 ${q(0.5)} ms, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${q(1)} (load average ${loadAverage()})`,
  );
  const perApp = children.map(
    (child, i) =>
      `${APPS[i]} ${Math.round(((readStat(child.pid!)?.cpuUs ?? 0) - cpuBefore[i]!) / REQUESTS)} µs/req, VmHWM ${Math.round(vmHwm(child.pid!) / 1024)} MiB`,
  );
  console.log(`node flags: ${(NODE_FLAGS ?? deployedNodeFlags('gateway')).join(' ') || '(none)'}; ${perApp.join('; ')}`);
  console.log(
    'slowest (ms since start, ms):',
    [...timings]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 30)
      .map((t) => `${t.at}:${t.ms.toFixed(1)}`)
      .join(' '),
  );
  console.log(
    `GC traces in ${DIR}; the measured requests ran from ${timings[0]!.at} to ${timings.at(-1)!.at} ms (the lines' first column)`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
  );
  await infra.stop();
}
