/**
 * `pnpm bench`: Atrium as deployed — identity, projects, environments and the gateway, each its
 * own process, over NATS and PostgreSQL — side by side with the hand-written baseline
 * (bench/baseline.ts) and the one-process mode, on the same data, under autocannon.
 * Prints per operation req/s, p50/p99, errors, CPU µs per request of every process and the
 * ratios to the baseline; start-up times and peak memory; writes bench/results/<time>.json.
 * Uses the built apps (`pnpm bench` builds first). Linux only (/proc).
 *
 * Before each operation is measured, every system runs it unmeasured for BENCH_WARMUP_SECONDS
 * at 8 connections (JIT, pools, caches).
 *
 *   BENCH_SECONDS=5 BENCH_WARMUP_SECONDS=5 BENCH_CONNECTIONS=1,32,128 BENCH_OPERATIONS=get,list-first
 *   BENCH_IDLE_SECONDS=5 BENCH_SYSTEMS=atrium,baseline,embedded BENCH_STARTUP=0 BENCH_STARTUP_RUNS=3 BENCH_PROFILE=1 BENCH_RATE=100 pnpm bench
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busAuth, createTestDatabase, freePort, startTestInfra } from '@atrium/local-infra';
import { generateKeyEnvironment } from '@atrium/service-runtime';
import { WORKSPACE_ROOT, appDir, deployedNodeFlags, launchNode, waitFor } from './launch.js';
import type { Launched } from './launch.js';
import { OPERATIONS, measure, measureIdle } from './measure.js';
import type { Figures, System } from './measure.js';
import { findServer, loadAverage, processTree, singleProcess } from './procfs.js';
import type { ProcessGroup } from './procfs.js';
import { summariseProfile } from './profile.js';
import { report } from './report.js';
import { seed } from './seed.js';
import { measureStartup } from './startup.js';

const list = (value: string | undefined, fallback: string) =>
  (value ?? fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = list(process.env.BENCH_CONNECTIONS, '1,32,128').map(Number);
const OPERATION_NAMES = list(process.env.BENCH_OPERATIONS, OPERATIONS.map((op) => op.name).join(','));
const SYSTEMS = list(process.env.BENCH_SYSTEMS, 'atrium,baseline,embedded');
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const WARMUP_CONNECTIONS = 8;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const PROFILE_DIR =
  process.env.BENCH_PROFILE === '1' ? join(WORKSPACE_ROOT, 'bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
const operations = OPERATIONS.filter((op) => OPERATION_NAMES.includes(op.name));

const startedAt = new Date();
const machine = { loadAverageBefore: loadAverage(), cores: (await import('node:os')).availableParallelism() };
const startup = process.env.BENCH_STARTUP === '0' ? undefined : await measureStartup();

const infra = await startTestInfra();
const launched: Launched[] = [];
const dropped: (() => Promise<void>)[] = [];
try {
  const postgresPort = new URL(infra.databaseUrl).port;
  const postmaster = findServer('postgres', '-p', postgresPort);
  const natsServer = findServer('nats-server', '-p', new URL(infra.natsUrl).port);
  if (!postmaster || !natsServer) throw new Error('could not find the PostgreSQL or nats-server process to measure');
  const postgres = processTree('postgres', postmaster);
  const nats = singleProcess('nats-server', natsServer);

  const database = await createTestDatabase(infra.databaseUrl, 'bench');
  dropped.push(() => database.drop());
  const common = { DATABASE_URL: database.url, NATS_URL: infra.natsUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const unlimited = { RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' };
  const keys = generateKeyEnvironment();
  const appEnv = (app: 'identity' | 'projects' | 'environments' | 'gateway') => ({
    ...common,
    ...keys[app],
    ...busAuth(infra.natsCredentials, app),
    METRICS_PORT: '0',
  });
  const systems: System[] = [];

  // Atrium as deployed: four processes.
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const deployedStart = performance.now();
  const apps = {
    identity: launchNode('identity', [...deployedNodeFlags('identity'), 'dist/src/main.js'], {
      cwd: appDir('identity'),
      env: appEnv('identity'),
      profileDir: PROFILE_DIR,
    }),
    projects: launchNode('projects', [...deployedNodeFlags('projects'), 'dist/src/main.js'], {
      cwd: appDir('projects'),
      env: { ...appEnv('projects'), ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      profileDir: PROFILE_DIR,
    }),
    environments: launchNode('environments', [...deployedNodeFlags('environments'), 'dist/src/main.js'], {
      cwd: appDir('environments'),
      env: { ...appEnv('environments'), ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      profileDir: PROFILE_DIR,
    }),
    gateway: launchNode('gateway', [...deployedNodeFlags('gateway'), 'dist/src/main.js'], {
      cwd: appDir('gateway'),
      env: { ...appEnv('gateway'), ...unlimited, PORT: String(gatewayPort), HOST: '127.0.0.1' },
      profileDir: PROFILE_DIR,
    }),
  };
  launched.push(...Object.values(apps));
  await waitFor('Atrium is ready', () => allReady(gatewayUrl), Object.values(apps));
  const deployedReadyMs = Math.round(performance.now() - deployedStart);
  const seeded = await seed(gatewayUrl, database.url);
  const atriumProcesses = [...Object.values(apps).map((app) => singleProcess(app.name, app.pid)), nats, postgres];
  if (SYSTEMS.includes('atrium')) systems.push({ name: 'atrium', url: gatewayUrl, seeded, processes: atriumProcesses });

  // The hand-written baseline: same database, same data.
  if (SYSTEMS.includes('baseline')) {
    const port = await freePort();
    const baseline = launchNode('baseline', ['--import', 'tsx', 'bench/baseline.ts'], {
      cwd: appDir('standalone'),
      env: { DATABASE_URL: database.url, PORT: String(port), NODE_ENV: 'production' },
    });
    launched.push(baseline);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the baseline is ready', async () => (await fetch(`${url}/healthz`)).ok, [baseline]);
    systems.push({ name: 'baseline', url, seeded, processes: [singleProcess('baseline', baseline.pid), postgres] });
  }

  // The one-process mode on its own database (its routers linked in process, no NATS).
  if (SYSTEMS.includes('embedded')) {
    const embeddedDb = await createTestDatabase(infra.databaseUrl, 'bench_embedded');
    dropped.push(() => embeddedDb.drop());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const standalone = launchNode('embedded', [...deployedNodeFlags('standalone'), 'dist/src/main.js'], {
      cwd: appDir('standalone'),
      env: {
        DATABASE_URL: embeddedDb.url,
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        ...unlimited,
      },
      profileDir: PROFILE_DIR,
    });
    launched.push(standalone);
    await waitFor('the one-process mode is ready', () => allReady(url), [standalone]);
    systems.push({
      name: 'embedded',
      url,
      seeded: await seed(url, embeddedDb.url),
      processes: [singleProcess('atrium', standalone.pid), postgres],
    });
  }

  console.log(
    `Bench: ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, connections ${CONNECTIONS.join('/')}, systems ${systems.map((s) => s.name).join(', ')}`,
  );

  // Idle first, while nothing has run yet but the seeding: the background cost of each process.
  const idle: Record<string, Record<string, number>> = {};
  if (IDLE_SECONDS > 0) {
    for (const system of systems) {
      idle[system.name] = await measureIdle(system, IDLE_SECONDS);
      system.idleMsPerSecond = Object.values(idle[system.name]!).reduce((sum, ms) => sum + ms, 0);
    }
  }

  const figures: Figures[] = [];
  for (const operation of operations) {
    // Warm-up, not measured: JIT, pools, caches and the heap settle on this operation's path in
    // every process, so the first measured run (1 connection, where p99 is read) is not the cold one.
    if (WARMUP_SECONDS > 0) for (const system of systems) await measure(system, operation, WARMUP_CONNECTIONS, WARMUP_SECONDS);
    for (const connections of CONNECTIONS) {
      // Systems in turn for each step, so a burst of load from elsewhere hits all of them alike.
      for (const system of systems) {
        const result = await measure(system, operation, connections, SECONDS);
        figures.push(result);
        console.log(
          `${operation.name.padEnd(16)} ${String(connections).padStart(3)} conn ${system.name.padEnd(9)} ${String(result.rps).padStart(6)} req/s` +
            `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  errors ${result.errors}  ${result.totalCpuUsPerRequest} µs/req  (others: ${result.otherLoadCores} cores)` +
            (result.settleMs > 1000 ? `  idle again ${(result.settleMs / 1000).toFixed(1)} s after` : ''),
        );
      }
    }
  }

  const memory = Object.fromEntries(
    [...new Map(systems.flatMap((system) => system.processes.map((group) => [group.name, group] as [string, ProcessGroup])))].map(
      ([name, group]) => [name, group.peakMemory()],
    ),
  );
  const profiles: Record<string, ReturnType<typeof summariseProfile>> = {};
  await Promise.all(launched.splice(0).map((app) => app.stop()));
  if (PROFILE_DIR) {
    for (const file of readdirSync(PROFILE_DIR).filter((name) => name.endsWith('.cpuprofile'))) {
      profiles[file] = summariseProfile(join(PROFILE_DIR, file), 15);
    }
  }

  const results = {
    startedAt: startedAt.toISOString(),
    machine: { ...machine, loadAverageAfter: loadAverage() },
    settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, operations: OPERATION_NAMES, systems: SYSTEMS },
    startup: { ...startup, deployedReadyMs },
    peakMemoryKiB: memory,
    idleCpuMsPerSecond: idle,
    figures,
    profiles: PROFILE_DIR ? { dir: PROFILE_DIR, summaries: profiles } : undefined,
  };
  report(results);
  const folder = join(WORKSPACE_ROOT, 'bench', 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${startedAt.toISOString().slice(0, 16).replace(':', '')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
} finally {
  await Promise.all(launched.map((app) => app.stop()));
  for (const drop of dropped) await drop().catch(() => undefined);
  await infra.stop();
}

/** Ready: the gateway answers /readyz and reports every service reachable. */
async function allReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { checks?: Record<string, string> };
  return response.ok && !!body.checks && Object.values(body.checks).every((check) => check === 'ok');
}
