/**
 * One measurement: an operation at a number of connections against one system, with the CPU
 * time every process of that system spent meanwhile, divided by the requests answered.
 */
import autocannon from 'autocannon';
import type { Seeded } from './seed.js';
import { machineBusyUs } from './procfs.js';
import type { ProcessGroup } from './procfs.js';

export interface System {
  name: string;
  url: string;
  seeded: Seeded;
  processes: ProcessGroup[];
  /** What its processes burn together with no request at all, ms of CPU per second (measureIdle). */
  idleMsPerSecond?: number;
}

export interface Operation {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  path: (seeded: Seeded) => string;
  /** A fresh body per request (unique names for creations); none for reads. */
  body?: (n: number, system: string) => unknown;
  token?: (seeded: Seeded) => string;
}

let runCounter = 0;
const runTag = Date.now().toString(36);

export const OPERATIONS: Operation[] = [
  { name: 'get', method: 'GET', path: (s) => `/api/v1/projects/${s.projectId}` },
  { name: 'list-first', method: 'GET', path: () => '/api/v1/projects?limit=50' },
  { name: 'list-deep', method: 'GET', path: (s) => `/api/v1/projects?limit=50&cursor=${s.deepCursor}` },
  { name: 'list-small-user', method: 'GET', path: () => '/api/v1/projects?limit=50', token: (s) => s.smallToken },
  // The 10,000-project user's first page cut to the 10 rows the 10-project user's page holds:
  // against list-small-user, what the number of projects costs with the page size set apart.
  { name: 'list-first-10', method: 'GET', path: () => '/api/v1/projects?limit=10' },
  {
    name: 'create',
    method: 'POST',
    path: () => '/api/v1/projects',
    body: (n, system) => ({ name: `b-${system}-${runTag}-${runCounter}-${n}`, color: '#10B981' }),
  },
  { name: 'update', method: 'PUT', path: (s) => `/api/v1/projects/${s.projectId}`, body: (n) => ({ description: `revision ${n}` }) },
  { name: 'environments', method: 'GET', path: (s) => `/api/v1/projects/${s.projectId}/environments` },
];

export interface Figures {
  system: string;
  operation: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, connection errors and time-outs. */
  errors: number;
  /** CPU time per answered request, µs, by process (group) of the system. */
  cpuUsPerRequest: Record<string, number>;
  totalCpuUsPerRequest: number;
  /**
   * How long after the load stopped the system took to fall back to idle (see `settle`): its
   * CPU meanwhile — a write's events relayed and consumed — is in the per-request figures.
   */
  settleMs: number;
  /** CPU time of the load generator (this process) per request, µs: shared by every system alike. */
  loadGeneratorUsPerRequest: number;
  /** What everything else on the machine used meanwhile, in cores (2 = both cores of a 2-core machine busy). */
  otherLoadCores: number;
}

/**
 * What each process of the system burns with no request at all (timers, consumers' pulls,
 * heartbeats), in ms of CPU per second: a fixed cost that every per-request figure above
 * includes, and that weighs most on the slow operations (at 100 req/s, 10 ms/s idle is 100 µs/req).
 */
export async function measureIdle(system: System, seconds: number): Promise<Record<string, number>> {
  const before = system.processes.map((group) => group.cpuUs());
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  return Object.fromEntries(
    system.processes.map((group, i) => [group.name, Math.round(((group.cpuUs() - before[i]!) / 1000 / elapsed) * 10) / 10]),
  );
}

export async function measure(system: System, operation: Operation, connections: number, seconds: number): Promise<Figures> {
  runCounter += 1;
  let n = 0;
  const headers: Record<string, string> = {
    authorization: `Bearer ${(operation.token ?? ((s: Seeded) => s.token))(system.seeded)}`,
    ...(operation.body ? { 'content-type': 'application/json' } : {}),
  };
  const { body } = operation;
  const setupRequest = (req: Record<string, unknown>) => {
    n += 1;
    return { ...req, body: JSON.stringify(body!(n, system.name)) };
  };
  const request = { method: operation.method, path: operation.path(system.seeded), headers, ...(body ? { setupRequest } : {}) };
  const before = system.processes.map((group) => group.cpuUs());
  const busyBefore = machineBusyUs();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  // BENCH_RATE caps the requests per second (all connections together): the same load for
  // systems or operations of different speeds, since per-request CPU grows as the rate falls.
  const rate = Number(process.env.BENCH_RATE ?? 0);
  const result = await autocannon({
    url: system.url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [request as never],
    ...(rate > 0 ? { overallRate: rate } : {}),
  });
  const elapsed = (performance.now() - started) / 1000;
  const settleMs = await settle(system);
  const self = process.cpuUsage(selfBefore);
  const busy = machineBusyUs() - busyBefore;
  const spent = system.processes.map((group, i) => group.cpuUs() - before[i]!);
  const requests = result.requests.total;
  const perRequest = (us: number) => Math.round(us / Math.max(1, requests));
  const cpuUsPerRequest = Object.fromEntries(system.processes.map((group, i) => [group.name, perRequest(spent[i]!)]));
  const ours = spent.reduce((sum, us) => sum + us, 0) + self.user + self.system;
  return {
    system: system.name,
    operation: operation.name,
    connections,
    seconds,
    requests,
    rps: Math.round(requests / elapsed),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    cpuUsPerRequest,
    totalCpuUsPerRequest: perRequest(spent.reduce((sum, us) => sum + us, 0)),
    loadGeneratorUsPerRequest: perRequest(self.user + self.system),
    otherLoadCores: Math.max(0, Math.round(((busy - ours) / ((elapsed + settleMs / 1000) * 1e6)) * 100) / 100),
    settleMs,
  };
}

const SETTLE_WINDOW_MS = 250;
/** Past this, the next run starts anyway (settleMs tells). */
const SETTLE_LIMIT_MS = 60_000;

/**
 * Waits until the system's processes are back to their idle CPU rate for two windows in a row.
 * A write sets work going that outlives its request — the outbox relay publishes its events,
 * every consumer handles them — and under load that work falls behind: it is the write's cost,
 * so it is counted in the run that caused it, and the next run starts from quiet instead of
 * paying for it (the environment list, measured after the writes, used to).
 */
async function settle(system: System): Promise<number> {
  const quietMsPerSecond = 1.5 * (system.idleMsPerSecond ?? 40) + 20;
  const cpuMs = () => system.processes.reduce((sum, group) => sum + group.cpuUs(), 0) / 1000;
  const started = performance.now();
  let last = cpuMs();
  let calmWindows = 0;
  while (calmWindows < 2 && performance.now() - started < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WINDOW_MS));
    const now = cpuMs();
    calmWindows = ((now - last) * 1000) / SETTLE_WINDOW_MS <= quietMsPerSecond ? calmWindows + 1 : 0;
    last = now;
  }
  return Math.round(performance.now() - started);
}
