/**
 * `pnpm bench`: Atrium as deployed — identity, projects, environments and the gateway, each its
 * own process, over NATS and PostgreSQL — side by side with the hand-written baseline
 * (bench/baseline.ts) and the one-process mode, on the same data, under autocannon.
 * Prints per operation req/s, p50/p99 (from every answer's time), errors, CPU µs per request of
 * every process and the ratios to the baseline; the event lag; start-up times, peak and resident
 * memory; and the targets, each with Atrium's figure, the baseline's, their ratio and
 * whether it is met (targets.ts). Writes bench/results/<time>.json. Uses the built apps
 * (`pnpm bench` builds first). Linux only (/proc).
 *
 * Before each operation is measured, every system runs it unmeasured for BENCH_WARMUP_SECONDS
 * at 8 connections (JIT, pools, caches).
 *
 * BENCH_OPERATIONS (all by default):
 *   get, get-p99 (5,000 requests at 1 connection), list-first, list-deep, list-small-user,
 *   list-first-10, environments                                                       reads
 *   create, update, put-variable, delete                                              writes
 *   lag      a steady 200 writes/s, each write's commit to its audit row readable (lag.ts)
 *   mix      1,000 users, 10,000 projects, Zipf access, 90% reads, 32 connections (mix.ts)
 *   memory   each process's resident memory at rest, and after the mix
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
import { measureLag } from './lag.js';
import type { LagFigures } from './lag.js';
import { measure, measureIdle } from './measure.js';
import type { Figures, System } from './measure.js';
import { seedMix } from './mix.js';
import { MIX_OPERATION, OPERATIONS } from './operations.js';
import type { Operation } from './operations.js';
import { findServer, loadAverage, processTree, singleProcess } from './procfs.js';
import type { ProcessGroup } from './procfs.js';
import { summariseProfile } from './profile.js';
import { report } from './report.js';
import { seed } from './seed.js';
import { measureStartup } from './startup.js';
import { targets } from './targets.js';
import type { MemoryReadings } from './targets.js';

const list = (value: string | undefined, fallback: string) =>
  (value ?? fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = list(process.env.BENCH_CONNECTIONS, '1,32,128').map(Number);
const KNOWN_NAMES = [...OPERATIONS.map((op) => op.name), 'lag', MIX_OPERATION.name, 'memory'];
const OPERATION_NAMES = list(process.env.BENCH_OPERATIONS, KNOWN_NAMES.join(','));
const unknown = OPERATION_NAMES.filter((name) => !KNOWN_NAMES.includes(name));
if (unknown.length) throw new Error(`BENCH_OPERATIONS: no ${unknown.join(', ')} (known: ${KNOWN_NAMES.join(', ')})`);
const selected = (name: string) => OPERATION_NAMES.includes(name);
const SYSTEMS = list(process.env.BENCH_SYSTEMS, 'atrium,baseline,embedded');
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const WARMUP_CONNECTIONS = 8;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const PROFILE_DIR =
  process.env.BENCH_PROFILE === '1' ? join(WORKSPACE_ROOT, 'bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
const operations = OPERATIONS.filter((op) => selected(op.name));

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
  // The environments service's key, which the baseline and the mix's seeding seal secret variables with too.
  const environmentsKey = randomBytes(32);
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
      env: { ...appEnv('environments'), ENCRYPTION_KEY: environmentsKey.toString('base64') },
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
  const mix = selected(MIX_OPERATION.name) ? await seedMixTimed(database.url, environmentsKey) : undefined;
  const atriumProcesses = [...Object.values(apps).map((app) => singleProcess(app.name, app.pid)), nats, postgres];
  if (SYSTEMS.includes('atrium')) systems.push({ name: 'atrium', url: gatewayUrl, seeded, mix, processes: atriumProcesses });

  // The hand-written baseline: same database, same data.
  if (SYSTEMS.includes('baseline')) {
    const port = await freePort();
    const baseline = launchNode('baseline', ['--import', 'tsx', 'bench/baseline.ts'], {
      cwd: appDir('standalone'),
      env: { DATABASE_URL: database.url, PORT: String(port), NODE_ENV: 'production', ENCRYPTION_KEY: environmentsKey.toString('base64') },
    });
    launched.push(baseline);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the baseline is ready', async () => (await fetch(`${url}/healthz`)).ok, [baseline]);
    systems.push({ name: 'baseline', url, seeded, mix, processes: [singleProcess('baseline', baseline.pid), postgres] });
  }

  // The one-process mode on its own database (its routers linked in process, no NATS).
  if (SYSTEMS.includes('embedded')) {
    const embeddedDb = await createTestDatabase(infra.databaseUrl, 'bench_embedded');
    dropped.push(() => embeddedDb.drop());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const embeddedKey = randomBytes(32);
    const standalone = launchNode('embedded', [...deployedNodeFlags('standalone'), 'dist/src/main.js'], {
      cwd: appDir('standalone'),
      env: {
        DATABASE_URL: embeddedDb.url,
        ENCRYPTION_KEY: embeddedKey.toString('base64'),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        // The routers linked in process, no broker: what this system stands for in the bench.
        EMBEDDED_NATS: 'false',
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
      mix: selected(MIX_OPERATION.name) ? await seedMixTimed(embeddedDb.url, embeddedKey) : undefined,
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

  // At rest: started, seeded, idle for a while, nothing measured yet.
  const residentMemory: MemoryReadings = { atRest: {}, afterMix: {} };
  if (selected('memory')) for (const system of systems) residentMemory.atRest[system.name] = residentKiB(system);

  const figures: Figures[] = [];
  /** Warm-up, then each connection count (the operation's own, or BENCH_CONNECTIONS) with the systems in turn. */
  const measureOperation = async (operation: Operation, afterRun?: (system: System) => void) => {
    // Warm-up, not measured: JIT, pools, caches and the heap settle on this operation's path in
    // every process, so the first measured run (1 connection, where p99 is read) is not the cold one.
    if (WARMUP_SECONDS > 0) for (const system of systems) await measure(system, operation, WARMUP_CONNECTIONS, WARMUP_SECONDS);
    for (const connections of operation.connections ?? CONNECTIONS) {
      // Systems in turn for each step, so a burst of load from elsewhere hits all of them alike.
      for (const system of systems) {
        const result = await measure(system, operation, connections, SECONDS, { amount: operation.amount });
        figures.push(result);
        printRun(result);
        afterRun?.(system);
      }
    }
  };
  for (const operation of operations) await measureOperation(operation);

  const lag: LagFigures[] = [];
  if (selected('lag')) {
    for (const system of systems) {
      const result = await measureLag(system, WARMUP_SECONDS);
      lag.push(result);
      console.log(
        `${'lag'.padEnd(16)} ${String(result.rate).padStart(3)}/s   ${system.name.padEnd(9)} p50 ${result.fromUpdatedAtMs.p50} ms  p99 ${result.fromUpdatedAtMs.p99} ms  answered ${result.answeredPerSecond}/s` +
          `  (from the answer: p50 ${result.fromAnswerMs.p50}, p99 ${result.fromAnswerMs.p99})  errors ${result.errors}  no audit row ${result.missing}  ${result.cpuUsPerWrite} µs/write  (others: ${result.otherLoadCores} cores)`,
      );
    }
  }

  if (selected(MIX_OPERATION.name)) {
    await measureOperation(MIX_OPERATION, (system) => {
      if (selected('memory')) residentMemory.afterMix[system.name] = residentKiB(system);
    });
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
    residentMemoryKiB: residentMemory,
    idleCpuMsPerSecond: idle,
    figures,
    lag,
    targets: targets(figures, lag, residentMemory),
    profiles: PROFILE_DIR ? { dir: PROFILE_DIR, summaries: profiles } : undefined,
  };
  report(results);
  const folder = join(WORKSPACE_ROOT, 'bench', 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${startedAt.toISOString().slice(0, 16).replace(':', '')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to ${file} (the bench took ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min)`);
} finally {
  await Promise.all(launched.map((app) => app.stop()));
  for (const drop of dropped) await drop().catch(() => undefined);
  await infra.stop();
}

/** One measured run, as a line. */
function printRun(result: Figures): void {
  console.log(
    `${result.operation.padEnd(16)} ${String(result.connections).padStart(3)} conn ${result.system.padEnd(9)} ${String(result.rps).padStart(6)} req/s` +
      `  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms  errors ${result.errors}  ${result.totalCpuUsPerRequest} µs/req  (others: ${result.otherLoadCores} cores)` +
      (result.settleMs > 1000 ? `  idle again ${(result.settleMs / 1000).toFixed(1)} s after` : ''),
  );
}

/** Each process's resident memory now (VmRSS, kiB; PostgreSQL: its largest process). */
function residentKiB(system: System): Record<string, number> {
  return Object.fromEntries(system.processes.map((group) => [group.name, group.residentMemory().kib]));
}

async function seedMixTimed(databaseUrl: string, encryptionKey: Buffer) {
  const started = performance.now();
  const mix = await seedMix(databaseUrl, encryptionKey);
  console.log(`the mix's data seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return mix;
}

/** Ready: the gateway answers /readyz and reports every service reachable. */
async function allReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { checks?: Record<string, string> };
  return response.ok && !!body.checks && Object.values(body.checks).every((check) => check === 'ok');
}
