/**
 * The gateway's own CPU time per request, nothing else: the gateway as deployed (real NATS
 * transport, signed calls, metrics, request log) in this process, a canned responder for
 * identity and projects in a child process, autocannon in another. What `pnpm bench` reports
 * as "gateway µs/req", without the services and PostgreSQL sharing the two cores.
 *
 *   pnpm --filter @atrium/gateway exec tsx --conditions=@atrium/source bench/cpu.ts
 *
 * GW_BENCH_SECONDS (5), GW_BENCH_CONNECTIONS (32), GW_BENCH_PROFILE=<file.cpuprofile> writes a
 * CPU profile of the measured run only. Prints one line: req/s, errors and µs/req.
 */
import { spawn } from 'node:child_process';
import { openSync, writeFileSync, writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { createNatsBroadcast, generateSigningKey, createCallSigner } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { connectNats, createLogger, createMetrics, observedTransport } from '@atrium/service-runtime/core';
import { startNatsServer } from '@atrium/local-infra';
import { buildGateway } from '../src/server.js';

const PROJECT_ID = '0b7e8f0c-5a43-4c1e-9d0e-2f1d6a3b9c11';
const USER_ID = '4f1c2b3a-1d2e-4a5b-8c6d-7e8f9a0b1c2d';
const TOKEN = `ats_${'x'.repeat(43)}`;

export const CANNED = {
  'svc.identity.v1.credentials.authenticate': {
    result: {
      user: {
        id: USER_ID,
        email: 'bench@example.com',
        name: 'Bench',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
      credential_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      credential_kind: 'session',
      expires_at: null,
    },
  },
  'svc.projects.v1.projects.get': {
    result: {
      id: PROJECT_ID,
      name: 'bench-project',
      display_name: 'Bench Project',
      description: 'A project the bench reads over and over',
      color: '#3B82F6',
      icon_path: null,
      single_server_mode: false,
      default_server_id: null,
      auto_error_tracking_enabled: true,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    },
  },
};

async function responder(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  for (const [subject, reply] of Object.entries(CANNED)) {
    const bytes = JSON.stringify(reply);
    nc.subscribe(subject, { callback: (_error, msg) => void msg.respond(bytes) });
  }
  await nc.flush();
  process.send?.('ready');
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}`))));
  });
}

/** Where the request log goes: written synchronously, as pino writes to stdout, but nowhere. */
function devNull() {
  const fd = openSync('/dev/null', 'w');
  return { write: (line: string) => void writeSync(fd, line) };
}

async function main(): Promise<void> {
  const seconds = Number(process.env.GW_BENCH_SECONDS ?? 5);
  const connections = Number(process.env.GW_BENCH_CONNECTIONS ?? 32);
  const nats = await startNatsServer();
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'responder', nats.url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));

  // As the gateway connects (service-runtime's connectNats: no async stack traces per request).
  const nc = await connectNats(nats.url, 'gateway');
  const metrics = createMetrics({ processMetrics: true });
  const signer = createCallSigner(generateSigningKey('gateway').signing);
  const off = new Set((process.env.GW_BENCH_OFF ?? '').split(','));
  const nats_ = createNatsTransport(nc, { timeoutMs: 5000, attemptMs: 1000, signer: off.has('sign') ? undefined : signer });
  const transport = off.has('metrics') ? nats_ : observedTransport(nats_, metrics);
  const app = await buildGateway({
    metrics: off.has('metrics') ? undefined : metrics,
    transport,
    broadcast: createNatsBroadcast(nc),
    log: createLogger('gateway', off.has('log') ? 'warn' : 'info', 'json', devNull()),
    uploads: {} as never,
    readiness: async () => ({ ready: true, checks: {} }) as never,
    corsOrigins: [],
    authCacheTtlMs: 60_000,
    authCacheMax: 1000,
    rateLimitPerMinute: 0,
    authRateLimitPerMinute: 0,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/projects/${PROJECT_ID}`;
  const check = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  console.error(check.status, await check.text());

  const autocannon = fileURLToPath(new URL('../../standalone/node_modules/.bin/autocannon', import.meta.url));
  const load = (duration: number) =>
    run(autocannon, ['-c', String(connections), '-d', String(duration), '-j', '-H', `authorization=Bearer ${TOKEN}`, url]);
  await load(2); // warm-up: JIT, caches

  const session = new Session();
  if (process.env.GW_BENCH_PROFILE) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const before = process.cpuUsage();
  const result = JSON.parse(await load(seconds)) as { requests: { total: number; average: number }; non2xx: number; errors: number };
  const used = process.cpuUsage(before);
  if (process.env.GW_BENCH_PROFILE) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.env.GW_BENCH_PROFILE, JSON.stringify(profile));
  }
  const total = result.requests.total;
  console.log(
    `gateway: ${Math.round(total / seconds)} req/s, errors ${result.errors + result.non2xx}, ${Math.round((used.user + used.system) / total)} µs/req (user ${Math.round(used.user / total)}, system ${Math.round(used.system / total)})`,
  );
  await app.close();
  await nc.close();
  child.kill();
  await nats.stop();
}

if (process.argv[2] === 'responder') await responder(process.argv[3]!);
else await main();
