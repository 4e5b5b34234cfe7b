/**
 * `pnpm bench`: the full stack as deployed — identity, projects, environments and the gateway
 * each in its own process, talking over NATS to PostgreSQL — under a short load from
 * autocannon (32 connections). Prints requests/s, p50/p99 latency and ratios between the
 * layers. Uses DATABASE_URL / NATS_URL when set, else private embedded ones.
 *
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=32 pnpm bench
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { connect } from '@nats-io/transport-node';
import { createNatsTransport } from '@atrium/nats-trpc';
import { createTestDatabase, freePort, startTestInfra } from '@atrium/test-kit';
import { generateKeyEnvironment, loadAppKeys } from '@atrium/service-runtime';
import { busAuth } from '@atrium/local-infra';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Figures {
  label: string;
  rps: number;
  p50: number;
  p99: number;
}

function startApp(app: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn('pnpm', ['--filter', `@atrium/${app}`, 'start'], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  return child;
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // Ready means the broker is up; each service reports in `checks` and must be up too.
    const checks = await fetch(`${url}/readyz`).then(
      (r) => r.json() as Promise<{ checks?: Record<string, string> }>,
      () => undefined,
    );
    if (checks?.checks && Object.values(checks.checks).every((check) => check === 'ok')) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the stack did not become ready within 60 s');
}

async function http(label: string, url: string, headers: Record<string, string> = {}): Promise<Figures> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { label, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** The same call without HTTP: straight onto NATS, 32 in flight, for the same duration. */
async function natsDirect(label: string, natsUrl: string, call: () => Parameters<ReturnType<typeof createNatsTransport>['call']>[0]): Promise<Figures> {
  const gateway = busAuth(infra.natsCredentials, 'gateway');
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true, user: gateway.NATS_USER, pass: gateway.NATS_PASSWORD, inboxPrefix: '_INBOX_gateway' });
  // Signed as the gateway signs, so the figure includes signing and verifying.
  const transport = createNatsTransport(nc, { timeoutMs: 5000, signer: loadAppKeys('gateway', keyEnv.gateway).signer });
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        await transport.call(call());
        latencies.push(performance.now() - started);
      }
    }),
  );
  await nc.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2));
  return { label, rps: Math.round(latencies.length / SECONDS), p50: at(0.5), p99: at(0.99) };
}

const infra = await startTestInfra();
const database = await createTestDatabase(infra.databaseUrl, 'bench');
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const common = { DATABASE_URL: database.url, NATS_URL: infra.natsUrl, LOG_LEVEL: 'warn' };
const keyEnv = generateKeyEnvironment();
const children = [
  startApp('identity', { ...common, ...keyEnv.identity, ...busAuth(infra.natsCredentials, 'identity') }),
  startApp('projects', { ...common, ...keyEnv.projects, ...busAuth(infra.natsCredentials, 'projects') }),
  startApp('environments', { ...common, ...keyEnv.environments, ...busAuth(infra.natsCredentials, 'environments') }),
  startApp('gateway', { ...common, ...keyEnv.gateway, ...busAuth(infra.natsCredentials, 'gateway'), PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' }),
];

try {
  await waitReady(url);
  const registered = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${randomUUID()}@example.com`, password: 'benchmark-password' }),
  }).then(async (r) => {
    if (r.status !== 201) throw new Error(`registration failed: ${r.status} ${await r.text()}`);
    return r.json() as Promise<{ data: { token: string; user: { id: string } } }>;
  });
  const token = registered.data.token;
  const created = await fetch(`${url}/api/v1/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: `bench-${Date.now()}` }),
  }).then((r) => r.json() as Promise<{ data: { id: string } }>);
  const projectId = created.data.id;
  const auth = { authorization: `Bearer ${token}` };

  console.log(`Atrium load: ${CONNECTIONS} connections, ${SECONDS} s each, every service in its own process over NATS\n`);
  const figures: Figures[] = [];
  figures.push(await http('GET /healthz (gateway only)', `${url}/healthz`));
  figures.push(
    await natsDirect('projects.get over NATS (no HTTP)', infra.natsUrl, () => ({
      service: 'projects',
      path: 'projects.get',
      kind: 'query',
      input: { id: projectId },
      meta: { requestId: randomUUID(), caller: { userId: registered.data.user.id, credentialId: randomUUID() } },
    })),
  );
  figures.push(await http('GET /api/v1/projects/:id', `${url}/api/v1/projects/${projectId}`, auth));
  figures.push(await http('GET /api/v1/projects (list)', `${url}/api/v1/projects`, auth));

  const rest = figures[2]!;
  console.table(figures.map((f) => ({ operation: f.label, 'req/s': Math.round(f.rps), 'p50 ms': f.p50, 'p99 ms': f.p99 })));
  console.log(`GET /projects/:id vs bare gateway:   ${(rest.rps / figures[0]!.rps).toFixed(2)}× the throughput`);
  console.log(`GET /projects/:id vs NATS call alone: ${(rest.rps / figures[1]!.rps).toFixed(2)}× the throughput, +${(rest.p50 - figures[1]!.p50).toFixed(2)} ms p50 for HTTP + envelope + auth cache`);
} finally {
  for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await database.drop().catch(() => undefined);
  await infra.stop();
}
