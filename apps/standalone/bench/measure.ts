/**
 * One measurement: an operation at a number of connections against one system, with the CPU
 * time every process of that system spent meanwhile, divided by the requests answered.
 */
import autocannon from 'autocannon';
import type { Mix } from './mix.js';
import type { BenchRequest, Operation } from './operations.js';
import { machineBusyUs } from './procfs.js';
import type { ProcessGroup } from './procfs.js';
import type { Seeded } from './seed.js';

export interface System {
  name: string;
  url: string;
  seeded: Seeded;
  /** The mix's users and projects (mix.ts), when the mix is measured. */
  mix?: Mix;
  processes: ProcessGroup[];
  /** What its processes burn together with no request at all, ms of CPU per second (measureIdle). */
  idleMsPerSecond?: number;
}

export interface Figures {
  system: string;
  operation: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * The same, from every answer's own time (µs precision): autocannon's histogram keeps whole
   * milliseconds, too coarse for a 3 ms target.
   */
  latencyMs: Percentiles;
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

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample, ms to two decimals. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0) * 100) / 100;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

let runCounter = 0;
const runTag = Date.now().toString(36);

/** A request as autocannon sends it. */
function wire(system: System, request: BenchRequest) {
  return {
    method: request.method,
    path: request.path,
    headers: {
      authorization: `Bearer ${request.token ?? system.seeded.token}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  };
}

/**
 * The operation's requests for one run: built once for a constant one; otherwise autocannon asks
 * `setupRequest` for every request it sends (each of its connections builds its first one at
 * the start, and the next one each time an answer arrives), so n counts the requests sent.
 */
function requestsOf(system: System, operation: Operation, run: string) {
  if (operation.constant) return [wire(system, operation.request(system, 1, run))];
  let n = 0;
  const setupRequest = (request: Record<string, unknown>) => {
    n += 1;
    return { ...request, ...wire(system, operation.request(system, n, run)) };
  };
  return [{ setupRequest }];
}

export interface MeasureOptions {
  /** Send exactly this many requests (autocannon's `amount`) instead of running for `seconds`. */
  amount?: number;
}

export async function measure(
  system: System,
  operation: Operation,
  connections: number,
  seconds: number,
  options: MeasureOptions = {},
): Promise<Figures> {
  runCounter += 1;
  const run = `${runTag}-${runCounter}`;
  if (operation.prepare) {
    await operation.prepare(system, seconds);
    // What preparing wrote (and what it set going in PostgreSQL) is not the run's.
    await settle(system);
  }
  const latencies: number[] = [];
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
    ...(options.amount ? { amount: options.amount } : { duration: seconds }),
    timeout: 10,
    requests: requestsOf(system, operation, run) as never,
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, ms: number) => latencies.push(ms));
    },
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
    seconds: Math.round(elapsed * 10) / 10,
    requests,
    rps: Math.round(requests / elapsed),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    latencyMs: percentiles(latencies),
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
export async function settle(system: System): Promise<number> {
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
