/**
 * What projects' own handlers cost, without the gateway, NATS, the relay or the consumers: the
 * router called in process (as the handler tests call it) against an embedded PostgreSQL,
 * one caller after another, CPU per call of this process (`process.cpuUsage`, user + system).
 * Where `pnpm bench` gives a write's CPU per process, this gives the handler's own part of the
 * service's share: run it on two commits to see what a change to a handler's path did.
 *
 *   pnpm --filter @atrium/projects exec tsx --conditions=@atrium/source bench/handler-cpu.ts
 *
 * HANDLER_CALLS (2,000 per operation, after 300 unmeasured), HANDLER_CALLERS (1: calls in flight at once).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, startEmbeddedPostgres } from '@atrium/local-infra';
import { createLocalBroadcast } from '@atrium/nats-trpc';
import { createLogger, createServiceContext, serviceClients } from '@atrium/service-runtime';
import type { OutboxRelay } from '@atrium/service-runtime';
import { folderUploadStore } from '@atrium/uploads';
import { initProjectsOrm } from '../src/db.js';
import { createProjectsRouter } from '../src/router.js';

const CALLS = Number(process.env.HANDLER_CALLS ?? 2000);
const CALLERS = Number(process.env.HANDLER_CALLERS ?? 1);
const PROJECTS = 64;

const dataDir = await mkdtemp(join(tmpdir(), 'atrium-handler-cpu-'));
const postgres = await startEmbeddedPostgres({ dataDir, persistent: false });
const database = await createTestDatabase(postgres.url, 'handler_cpu');
const orm = await initProjectsOrm(database.url);
try {
  const router = createProjectsRouter({ uploads: folderUploadStore(join(dataDir, 'uploads')) });
  const log = createLogger('projects', 'silent');
  const userId = randomUUID();
  // As the service endpoint makes a call's context: the root EntityManager, forked on first use.
  const caller = () => {
    const meta = { requestId: 'handler-cpu', caller: { userId, credentialId: randomUUID() } };
    return router.createCaller(
      createServiceContext({
        meta,
        app: 'gateway',
        em: orm.em,
        forkOnUse: true,
        log,
        // The outbox rows are written; nothing publishes them here.
        relay: { publishCommitted() {} } as unknown as OutboxRelay,
        broadcast: createLocalBroadcast(),
        // The default environment's call after a creation: answered at once.
        services: () => serviceClients({ call: async () => ({}) } as never, meta),
      }),
    );
  };
  const projects: { id: string }[] = [];
  for (let i = 0; i < PROJECTS; i++) projects.push(await caller().projects.create({ name: `handler-cpu-${i}` }));

  const measure = async (name: string, call: (n: number) => Promise<unknown>) => {
    for (let n = 0; n < 300; n++) await call(n);
    let next = 0;
    const before = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < CALLS) await call(next++);
      }),
    );
    const used = process.cpuUsage(before);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${name.padEnd(8)} ${String(Math.round((used.user + used.system) / CALLS)).padStart(6)} µs/call` +
        ` (user ${Math.round(used.user / CALLS)})  ${Math.round(CALLS / seconds)} calls/s`,
    );
  };
  const project = (n: number) => projects[n % PROJECTS]!.id;
  await measure('get', (n) => caller().projects.get({ id: project(n) }));
  await measure('update', (n) => caller().projects.update({ id: project(n), description: `revision ${n} ${randomUUID()}` }));
  await measure('create', (n) => caller().projects.create({ name: `handler-cpu-new-${n}-${randomUUID().slice(0, 8)}` }));
} finally {
  await orm.close();
  await database.drop();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}
