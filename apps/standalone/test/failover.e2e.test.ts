import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { Balancer, describeLatency, retriesOf, startLoad, until } from './support/load.js';
import type { Outcome } from './support/load.js';
import { startDeployment } from './support/processes.js';
import type { AppProcess, Deployment } from './support/processes.js';
import { heldRequest } from './support/stalled-clients.js';

// Real processes, as deployed: identity, environments, three projects instances and two gateways,
// each its own Node process over one nats-server. Starting them is slow on a busy machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const ATTEMPT_MS = 1000;
let deployment: Deployment;
let identity: AppProcess;
let projects: AppProcess[];
let gateways: AppProcess[];
let token: string;
let otherToken: string;
let projectId: string;

async function register(url: string, label: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${label}-${Date.now()}@example.com`, password: 'correct horse battery' }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { token: string } }).data.token;
}

beforeAll(async () => {
  deployment = await startDeployment({
    NATS_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_MS),
    // Generous, as in every test (a busy machine is slow): a call lost and never sent again would
    // still fail here at its deadline, while the copies go out after ATTEMPT_MS.
    NATS_REQUEST_TIMEOUT_MS: '20000',
    // The load's credential stays cached at both gateways, whatever identity does meanwhile.
    AUTH_CACHE_TTL_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
  });
  [identity] = await Promise.all([deployment.start('identity', 'identity'), deployment.start('environments', 'environments')]);
  projects = await Promise.all([1, 2, 3].map((n) => deployment.start('projects', `projects-${n}`)));
  // The gateways keep serving, unready, for a while after SIGTERM: long enough for the balancer
  // (every 50 ms) and for this test to see the stopping state and send a request into it — on a
  // loaded 2-core machine a poll can take over a second, and a 1 s window was once missed.
  // After it stops listening, a gateway gives the requests in flight 10 s before it cuts the
  // connections still open: ample for the one held across the stop, little for this test to wait.
  gateways = await Promise.all(
    ['a', 'b'].map((n) => deployment.start('gateway', `gateway-${n}`, { SHUTDOWN_DELAY_MS: '8000', SHUTDOWN_TIMEOUT_MS: '10000' })),
  );
  token = await register(gateways[0]!.url, 'failover');
  otherToken = await register(gateways[1]!.url, 'failover-other');
  const created = await fetch(`${gateways[0]!.url}/api/v1/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `failover-read-${Date.now()}` }),
  });
  projectId = ((await created.json()) as { data: { id: string } }).data.id;
});
afterAll(() => deployment?.stop());

/** Every write answered 201 once and exists exactly once, with the id its answer gave. */
async function expectEachWriteOnce(outcomes: Outcome[]): Promise<void> {
  const writes = outcomes.filter((outcome) => outcome.kind === 'write');
  expect(writes.length).toBeGreaterThan(0);
  const rows = await queryDatabase<{ id: string; name: string }>(
    deployment.databaseUrl,
    'select id, name from projects.projects where name = any($1)',
    [writes.map((write) => write.name)],
  );
  const byName = new Map(rows.map((row) => [row.name, row.id]));
  expect(rows).toHaveLength(writes.length);
  for (const write of writes) expect(byName.get(write.name!)).toBe(write.id);
}

function report(title: string, outcomes: Outcome[], since: number, retries: Record<string, number>[]) {
  const figures = describeLatency(outcomes, since);
  console.log(`${title}: ${JSON.stringify({ ...figures, attemptBudgetMs: ATTEMPT_MS, gatewayRetries: retries })}`);
  const failures = outcomes.filter((outcome) => !outcome.ok);
  if (failures.length > 0) console.log('failed requests:', failures.slice(0, 10));
}

describe('failover under load, real processes', () => {
  it('loses no request when one projects instance is killed and another stopped, then replaced', async () => {
    const balancer = new Balancer(gateways.map((gateway) => gateway.url));
    const load = startLoad({ balancer, token, projectId, workers: 8, writeEvery: 4 });
    try {
      await until(() => load.outcomes.length >= 200, 'a steady load');
      const eventsAt = Date.now();
      const retriesBefore = (await Promise.all(gateways.map((gateway) => retriesOf(gateway.url)))).map((r) => r.unanswered ?? 0);

      // Killed with calls in flight: frozen first (SIGSTOP) until a gateway has had to send one of
      // its calls again — proof calls were lost on it — then SIGKILL, as a container kill.
      const [killed, stopped] = projects as [AppProcess, AppProcess];
      killed.signal('SIGSTOP');
      await until(async () => {
        const now = (await Promise.all(gateways.map((gateway) => retriesOf(gateway.url)))).map((r) => r.unanswered ?? 0);
        return now.some((count, i) => count > retriesBefore[i]!);
      }, 'a call stuck on the frozen instance to be sent again');
      killed.signal('SIGKILL');
      await killed.exit;
      const afterKill = Date.now();
      await until(() => load.completedSince(afterKill) >= 100, 'requests after the kill');

      // Stopped gracefully: leaves the queue group, answers what it took, exits 0.
      stopped.signal('SIGTERM');
      expect(await stopped.exit).toBe(0);
      expect(stopped.output()).toMatch(/"msg":"stopped"/);
      const afterStop = Date.now();
      await until(() => load.completedSince(afterStop) >= 100, 'requests after the stop');

      // A replacement joins the queue group under load, as in a rolling restart.
      projects.push(await deployment.start('projects', 'projects-4'));
      const afterJoin = Date.now();
      await until(() => load.completedSince(afterJoin) >= 100, 'requests after the replacement joined');

      const outcomes = await load.stop();
      report(
        'projects instance killed and another stopped',
        outcomes,
        eventsAt,
        await Promise.all(gateways.map((gateway) => retriesOf(gateway.url))),
      );
      expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
      await expectEachWriteOnce(outcomes);
    } finally {
      await load.stop();
      await balancer.close();
    }
  });

  it('loses no request when a gateway is stopped, finishes the one it has in flight and exits despite a client that never sends its body', async () => {
    const balancer = new Balancer(gateways.map((gateway) => gateway.url));
    const load = startLoad({ balancer, token, projectId, workers: 8, writeEvery: 4 });
    const [stopped, staying] = gateways as [AppProcess, AppProcess];
    try {
      await until(() => load.outcomes.length >= 200, 'a steady load');
      const eventsAt = Date.now();
      // A client that sends half its request body and no more would hold the stop open forever.
      const trickled = await heldRequest(stopped.url, '/api/v1/auth/register', {
        email: 'trickled@example.com',
        password: 'correct horse battery',
      });
      trickled.sendSome();
      // A request the stopping gateway holds across its stop: identity is frozen, so authenticating
      // a credential it has not cached yet waits until identity resumes.
      identity.signal('SIGSTOP');
      stopped.signal('SIGTERM');
      await until(
        () =>
          fetch(`${stopped.url}/readyz`).then(
            (response) => response.status === 503,
            () => false,
          ),
        'the stopping gateway to turn unready',
      );
      const inFlight = fetch(`${stopped.url}/api/v1/projects`, { headers: { authorization: `Bearer ${otherToken}` } });
      await until(
        () =>
          fetch(`${stopped.url}/healthz`).then(
            () => false,
            (error: { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
          ),
        'the stopping gateway to stop listening',
      );
      identity.signal('SIGCONT');
      const held = await inFlight;
      expect(held.status).toBe(200);
      expect(held.headers.get('connection')).toBe('close');
      expect(await stopped.exit).toBe(0);
      // Its connection was closed (and the log says so) once the requests in flight had had their time.
      expect(stopped.output()).toMatch(/closed 1 connection still open/);
      expect(await trickled.outcome).toBeInstanceOf(Error);
      const afterStop = Date.now();
      await until(() => load.completedSince(afterStop) >= 100, 'requests after the stop');

      const outcomes = await load.stop();
      report('gateway stopped', outcomes, eventsAt, [await retriesOf(staying.url)]);
      expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
      await expectEachWriteOnce(outcomes);
    } finally {
      identity.signal('SIGCONT');
      await load.stop();
      await balancer.close();
    }
  });
});
