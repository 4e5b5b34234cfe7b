/**
 * `pnpm --filter @atrium/standalone trial:failover` (after `pnpm build`): issue 13's operator
 * trial. Three instances of each service and two gateways, the built apps with default
 * settings; autocannon keeps a steady load on both gateways (reads of a project, its
 * environments, `/auth/me`, and `POST /projects` with an `Idempotency-Key`) while instances are
 * SIGKILLed, and SIGTERMed then started again. Prints autocannon's totals (requests, non-2xx,
 * errors, time-outs, latency) and the worst latency added over the steady part.
 *
 * Every creation answered 201 must exist exactly once in the database afterwards.
 *
 *   TRIAL_CONNECTIONS=8 (per gateway) TRIAL_STEP_SECONDS=8 TRIAL_WARMUP_SECONDS=10
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { startFleet } from './fleet.js';
import type { App, Fleet } from './fleet.js';
import { SERVICE_CONTRACTS } from '@atrium/contract';
import type { ServiceName } from '@atrium/contract';
import { loadAverage } from './procfs.js';

const CONNECTIONS = Number(process.env.TRIAL_CONNECTIONS ?? 8);
const STEP_MS = Number(process.env.TRIAL_STEP_SECONDS ?? 8) * 1000;
const WARMUP_SECONDS = Number(process.env.TRIAL_WARMUP_SECONDS ?? 10);
// Each launched process watches this one's exit (to leave nothing behind): more than the default 10.
process.setMaxListeners(50);

interface Step {
  what: string;
  run(fleet: Fleet): Promise<void>;
}

const kill = (name: string): Step => ({
  what: `SIGKILL ${name}`,
  async run(fleet) {
    fleet.instance(name).process.child.kill('SIGKILL');
    await fleet.instance(name).process.exited;
  },
});
const restart = (app: App, name: string): Step => ({
  what: `SIGTERM ${name}, then start it again`,
  async run(fleet) {
    await fleet.instance(name).process.stop();
    await fleet.start(app, name);
  },
});
/** For each service: one instance killed outright, another stopped gracefully and started again. */
const STEPS: Step[] = [
  kill('projects-1'),
  restart('projects', 'projects-2'),
  kill('identity-1'),
  restart('identity', 'identity-2'),
  kill('environments-1'),
  restart('environments', 'environments-2'),
];

async function api<T>(url: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: T }).data;
}

/** A response seen by autocannon: when it started (ms since the load began), how long it took, its status. */
interface Seen {
  at: number;
  ms: number;
  status: number;
}

function load(
  url: string,
  token: string,
  projectId: string,
  seconds: number,
  began: number,
  seen: Seen[],
  prefix = 'trial-',
): Promise<autocannon.Result> {
  const auth = { authorization: `Bearer ${token}` };
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url,
      connections: CONNECTIONS,
      duration: seconds,
      timeout: 30,
      requests: [
        { method: 'GET', path: `/api/v1/projects/${projectId}`, headers: auth },
        { method: 'GET', path: `/api/v1/projects/${projectId}/environments`, headers: auth },
        { method: 'GET', path: '/api/v1/auth/me', headers: auth },
        {
          method: 'POST',
          path: '/api/v1/projects',
          headers: { ...auth, 'content-type': 'application/json' },
          // A fresh name and key per request: each is a new creation, safe to send again.
          setupRequest: (request: Record<string, unknown>) => ({
            ...request,
            headers: { ...(request.headers as Record<string, string>), 'idempotency-key': randomUUID() },
            body: JSON.stringify({ name: `${prefix}${randomUUID().slice(0, 18)}` }),
          }),
        },
      ] as never,
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    seen.push({ at: performance.now() - began - ms, ms, status });
  });
  return finished;
}

/** The gateway's retries (copies sent again, by reason) and its outgoing calls that did not end OK. */
async function callFigures(url: string): Promise<Record<string, number>> {
  const text = await fetch(`${url}/metrics`).then((response) => response.text());
  const figures: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const retry = /^atrium_outgoing_call_retries_total\{(.*)\} (\d+)/.exec(line);
    const call = /^atrium_outgoing_call_duration_seconds_count\{(.*)\} (\d+)/.exec(line);
    if (retry) figures[`retries ${retry[1]}`] = Number(retry[2]);
    if (call && !call[1]!.includes('outcome="OK"')) figures[`calls ${call[1]}`] = Number(call[2]);
  }
  return figures;
}

/** The trial's creations in the database: how many rows, and how many names (each request had its own). */
async function trialProjects(databaseUrl: string): Promise<{ rows: number; names: number }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ rows: string; names: string }>(
      "select count(*) as rows, count(distinct name) as names from projects.projects where name like 'trial-%'",
    );
    return { rows: Number(rows[0]!.rows), names: Number(rows[0]!.names) };
  } finally {
    await db.end();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

// The load comes from one address, where real traffic comes from many: the per-address rate
// limit (3,000 a minute by default) would answer most of it 429 and hide what is measured.
const fleet = await startFleet({ RATE_LIMIT_PER_MINUTE: '0' });
try {
  const starting = performance.now();
  const services: App[] = Object.keys(SERVICE_CONTRACTS) as ServiceName[];
  // Side by side per app, one app after the other: eleven Node processes at once overwhelm two cores.
  for (const app of services) await Promise.all([1, 2, 3].map((n) => fleet.start(app, `${app}-${n}`)));
  const gateways = await Promise.all(['a', 'b'].map((n) => fleet.start('gateway', `gateway-${n}`)));
  console.log(
    `fleet ready in ${Math.round(performance.now() - starting)} ms: 3 × identity, projects, environments; 2 gateways (load average ${loadAverage()})`,
  );

  const { token } = await api<{ token: string }>(gateways[0]!.url, 'POST', '/auth/register', {
    email: `trial-${randomUUID()}@example.com`,
    password: 'failover-trial-password',
  });
  const project = await api<{ id: string }>(gateways[0]!.url, 'POST', '/projects', { name: `read-${randomUUID().slice(0, 8)}` }, token);

  // Warm-up, not counted: a fresh process's first seconds (JIT, pools) are not its steady state.
  await Promise.all(gateways.map((gateway) => load(gateway.url, token, project.id, WARMUP_SECONDS, performance.now(), [], 'warm-')));

  // Steady for one step, then a step per disruption, then one more steady step.
  const seconds = Math.ceil((STEP_MS * (STEPS.length + 2)) / 1000);
  const seen: Seen[] = [];
  const began = performance.now();
  const runs = gateways.map((gateway) => load(gateway.url, token, project.id, seconds, began, seen));
  const marks: { what: string; at: number; doneAt: number }[] = [];
  for (const [i, step] of STEPS.entries()) {
    const due = began + STEP_MS * (i + 1);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const at = performance.now() - began;
    await step.run(fleet);
    marks.push({ what: step.what, at, doneAt: performance.now() - began });
    console.log(`${(at / 1000).toFixed(1)} s: ${step.what} (done at ${((performance.now() - began) / 1000).toFixed(1)} s)`);
  }
  const results = await Promise.all(runs);

  const steady = seen.filter((s) => s.at < STEP_MS).map((s) => s.ms);
  const baseline = { p50: quantile(steady, 0.5), p99: quantile(steady, 0.99), max: Math.max(0, ...steady) };
  const totals = {
    requests: results.reduce((sum, r) => sum + r.requests.total, 0),
    '2xx': results.reduce((sum, r) => sum + r['2xx'], 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    p50Ms: Math.max(...results.map((r) => r.latency.p50)),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    maxMs: Math.max(...results.map((r) => r.latency.max)),
  };
  console.log('\nautocannon, per gateway:');
  console.table(
    results.map((r, i) => ({
      gateway: gateways[i]!.name,
      requests: r.requests.total,
      '2xx': r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      'max ms': r.latency.max,
    })),
  );
  const statuses = Object.fromEntries(
    [...new Set(seen.map((s) => s.status))].map((status) => [status, seen.filter((s) => s.status === status).length]),
  );
  const windows = marks.map((mark, i) => {
    const end = marks[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const during = seen.filter((s) => s.at >= mark.at && s.at < end).map((s) => s.ms);
    const worst = Math.max(0, ...during);
    return {
      step: mark.what,
      requests: during.length,
      'p99 ms': round(quantile(during, 0.99)),
      'max ms': round(worst),
      'added ms (max − steady p50)': round(worst - baseline.p50),
      'over steady max ms': round(worst - baseline.max),
    };
  });
  console.log('\nAfter each step (requests started until the next step):');
  console.table(windows);
  const worstAdded = Math.max(...windows.map((w) => w['added ms (max − steady p50)']));
  console.log(
    `\ntotals: ${JSON.stringify(totals)}\nstatuses: ${JSON.stringify(statuses)}\nsteady (first ${STEP_MS / 1000} s): p50 ${round(baseline.p50)} ms, p99 ${round(baseline.p99)} ms, max ${round(baseline.max)} ms\n` +
      `worst added latency: ${round(worstAdded)} ms (load average ${loadAverage()})`,
  );
  // Each request had a name of its own: a name stored twice is a creation run twice. Every 201 is
  // stored; a few more rows are the creations still in flight when autocannon stopped counting.
  const stored = await trialProjects(fleet.databaseUrl);
  const created = statuses['201'] ?? 0;
  const once = stored.rows === stored.names && stored.rows >= created && stored.rows - created <= CONNECTIONS * gateways.length;
  console.log(
    `creations answered 201: ${created}; stored: ${stored.rows} rows, ${stored.names} names (${once ? 'each once' : 'NOT each once'}; the rest were in flight at the end)`,
  );
  // What the gateways saw of their calls: copies sent again, and outcomes other than OK.
  for (const gateway of gateways) console.log(`${gateway.name} /metrics: ${JSON.stringify(await callFigures(gateway.url))}`);
  if (totals.non2xx + totals.errors + totals.timeouts > 0 || !once) {
    process.exitCode = 1;
    for (const gateway of gateways) console.log(`--- ${gateway.name}, last lines:\n${gateway.process.output()}`);
    // The services' warnings too: a creation's inner call that failed is logged by projects.
    for (const app of services) {
      for (const n of [1, 2, 3]) {
        const lines = fleet.instance(`${app}-${n}`).process.output().trim();
        if (lines) console.log(`--- ${app}-${n}, last lines:\n${lines}`);
      }
    }
  }
} finally {
  await fleet.stop();
}
