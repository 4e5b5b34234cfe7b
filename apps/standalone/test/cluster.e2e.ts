import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsCluster } from '@atrium/local-infra';
import type { NatsClusterNode, RunningNatsCluster } from '@atrium/local-infra';
import { connectNats } from '@atrium/service-runtime';
import { queryDatabase } from '@atrium/test-kit';
import { png } from './support/images.js';
import { describeLatency, until } from './support/load.js';
import { startDeployment } from './support/processes.js';
import type { AppProcess, Deployment } from './support/processes.js';

// The distributed engine, distributed: a 3-node nats-server cluster (JetStream on each, routes
// between them), the event stream and the uploads bucket at 3 replicas, each app its own process
// on a node of its own, and one node after another lost under a steady load of writes and reads.
// `pnpm test:cluster` runs it (vitest.cluster.config.ts): ~40–60 s alone, too slow for `pnpm test`.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const STREAM = 'ATRIUM';
const NAMESPACE = 'evt';
const BUCKET = 'atrium-uploads';
/** The events the load's writes make: each create one `created`, each update one `updated`. */
const TYPES = ['projects.v1.created', 'projects.v1.updated'];
/** Which node each app is given as its NATS_URL: it learns the others from the cluster (INFO connect_urls). */
const HOME = { gateway: 0, identity: 1, projects: 2, environments: 0 } as const;

let cluster: RunningNatsCluster;
let deployment: Deployment;
let gatewayUrl: string;
const apps: AppProcess[] = [];
let inspector: NatsConnection;
let jsm: JetStreamManager;
let token: string;

beforeAll(async () => {
  deployment = await startDeployment(
    {
      EVENTS_STREAM: STREAM,
      EVENTS_NAMESPACE: NAMESPACE,
      EVENTS_REPLICAS: '3',
      UPLOADS_BUCKET: BUCKET,
      UPLOADS_REPLICAS: '3',
      // A call lost with a node is failed at its deadline (then retried): short, to keep the test short.
      NATS_REQUEST_TIMEOUT_MS: '8000',
      RATE_LIMIT_PER_MINUTE: '0',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
    },
    async (config) => {
      cluster = await startNatsCluster({ size: 3, config });
      return cluster;
    },
  );
  const home = (app: keyof typeof HOME) => ({ NATS_URL: cluster.nodes[HOME[app]]!.url });
  // Identity first: it makes the stream (R3) the others then find.
  apps.push(await deployment.start('identity', 'identity', home('identity')));
  apps.push(
    ...(await Promise.all([
      deployment.start('projects', 'projects', home('projects')),
      deployment.start('environments', 'environments', home('environments')),
    ])),
  );
  apps.push(await deployment.start('gateway', 'gateway', home('gateway')));
  gatewayUrl = apps[3]!.url;
  const test = deployment.natsCredentials.test;
  inspector = await connectNats(cluster.url, 'cluster-inspector', { NATS_USER: test.user, NATS_PASSWORD: test.password });
  jsm = await jetstreamManager(inspector);
  const registered = await http('POST', '/auth/register', {
    email: `cluster-${Date.now()}@example.com`,
    password: 'correct horse battery',
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  token = registered.body.data.token;
});

afterAll(async () => {
  await inspector?.close();
  await deployment?.stop();
});

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gatewayUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
}

/** Sets a project's icon (multipart, as a browser's form sends it); its path and bytes. */
async function uploadIcon(projectId: string, bytes: Buffer): Promise<{ path: string; bytes: Buffer }> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), 'icon.png');
  const response = await fetch(`${gatewayUrl}/api/v1/projects/${projectId}/icon`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { path: JSON.parse(text).data.icon_path, bytes };
}

/**
 * Expects the gateway to serve `icon` from the bucket, retrying a 503 (softly: the run goes on to check the
 * events, and the failure names which node was down and which led JetStream's meta group).
 */
async function expectServed(icon: { path: string; bytes: Buffer }, which: string): Promise<void> {
  // A 503 SERVICE_UNAVAILABLE is retried as the load retries it: the contract says it is safe to.
  let response = await fetch(`${gatewayUrl}${icon.path}`);
  let body = Buffer.from(await response.arrayBuffer());
  for (let attempt = 1; response.status === 503 && attempt < 8; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    response = await fetch(`${gatewayUrl}${icon.path}`);
    body = Buffer.from(await response.arrayBuffer());
  }
  const running = cluster.nodes.filter((node) => node.running());
  const down = cluster.nodes.filter((node) => !node.running()).map((node) => node.name);
  const meta = (await (await fetch(`${running[0]!.monitorUrl}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
  const context = `${which} ${icon.path} with ${down.join(', ') || 'no node'} down, meta leader ${meta.meta_cluster?.leader}: ${response.status} ${response.status === 200 ? '' : body.toString()}`;
  expect.soft({ status: response.status, same: body.equals(icon.bytes) }, context).toEqual({ status: 200, same: true });
}

/** The apps' connections on a node, by the name they connect with. */
async function connectionsOn(node: NatsClusterNode): Promise<string[]> {
  const connz = (await (await fetch(`${node.monitorUrl}/connz?limit=1024`)).json()) as { connections?: { name?: string }[] };
  return (connz.connections ?? []).map((connection) => connection.name ?? '');
}

/** Every stream and every consumer of it has all its replicas caught up with a leader, on the nodes running. */
async function everythingCurrent(): Promise<boolean> {
  try {
    const running = cluster.nodes.filter((node) => node.running()).map((node) => node.name);
    const caughtUp = (
      info: { cluster?: { leader?: string; replicas?: { name: string; current: boolean; offline?: boolean; lag?: number }[] } },
      size: number,
    ) => {
      const leader = info.cluster?.leader;
      const replicas = info.cluster?.replicas ?? [];
      const members = [leader, ...replicas.map((replica) => replica.name)];
      return (
        leader !== undefined &&
        members.length === size &&
        (size < 3 || running.every((name) => members.includes(name))) &&
        replicas.every((replica) => replica.current && !replica.offline && !replica.lag)
      );
    };
    for await (const stream of jsm.streams.list()) {
      if (!caughtUp(stream, stream.config.num_replicas)) return false;
      // A consumer has its stream's replicas unless it says otherwise (an ordered reader of an icon: 1).
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        if (!caughtUp(consumer, consumer.config.num_replicas || stream.config.num_replicas)) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

const leaderOf = async (stream: string) => (await jsm.streams.info(stream)).cluster?.leader;

/** Moves the leadership of `stream` to `node` (JetStream picks the new leader at random: step down until it lands there). */
async function leadOn(stream: string, node: NatsClusterNode): Promise<void> {
  for (let tries = 0; tries < 20 && (await leaderOf(stream)) !== node.name; tries += 1) {
    const before = await leaderOf(stream);
    await inspector.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5000 });
    await until(async () => {
      const now = await leaderOf(stream).catch(() => undefined);
      return now !== undefined && now !== before;
    }, `a new leader of ${stream}`);
  }
  expect(await leaderOf(stream)).toBe(node.name);
}

/** One HTTP request of the load; `attempts` > 1 when a documented 503 (SERVICE_UNAVAILABLE, "safe to retry") was retried. */
interface Outcome {
  kind: 'create' | 'update' | 'read';
  ok: boolean;
  status: number;
  startedAt: number;
  ms: number;
  /** What the test was doing then (`steady`, `n3 down`, …). */
  phase: string;
  attempts: number;
  projectId?: string;
  error?: string;
}

/** The contract's SERVICE_UNAVAILABLE: "safe to retry". */
const unavailable = (response: { status: number; body?: { error?: { code?: string } } }) =>
  response.status === 503 && response.body?.error?.code === 'SERVICE_UNAVAILABLE';

/**
 * A steady load over real HTTP: `workers` clients, each creating a project (with an
 * Idempotency-Key), renaming it twice and reading it, again and again until stopped (at most
 * `maxRounds` rounds each: the loop is bounded even if a wait above it never ends). A client
 * retries a 503 SERVICE_UNAVAILABLE (the contract says it is safe to), up to 8 times with a
 * growing pause, the same request with the same Idempotency-Key; every retry is recorded.
 */
function startLoad(workers: number, phase: () => string, maxRounds = 2000) {
  const outcomes: Outcome[] = [];
  let running = true;
  async function timed(kind: Outcome['kind'], projectId: string | undefined, call: () => ReturnType<typeof http>, expected: number) {
    const startedAt = Date.now();
    const during = phase();
    let attempts = 0;
    let outcome: Outcome;
    try {
      let response = await call();
      attempts += 1;
      while (unavailable(response) && attempts < 8) {
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempts));
        response = await call();
        attempts += 1;
      }
      const ok = response.status === expected;
      outcome = {
        kind,
        ok,
        status: response.status,
        startedAt,
        ms: Date.now() - startedAt,
        phase: during,
        attempts,
        projectId: projectId ?? response.body?.data?.id,
        error: ok ? undefined : response.text,
      };
    } catch (error) {
      outcome = {
        kind,
        ok: false,
        status: 0,
        startedAt,
        ms: Date.now() - startedAt,
        phase: during,
        attempts,
        projectId,
        error: String(error),
      };
    }
    outcomes.push(outcome);
    return outcome;
  }
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let round = 0; running && round < maxRounds; round += 1) {
      const name = `cluster-${worker}-${round}-${randomUUID().slice(0, 8)}`;
      const key = randomUUID();
      const created = await timed('create', undefined, () => http('POST', '/projects', { name }, { 'idempotency-key': key }), 201);
      if (!created.ok || !created.projectId) continue;
      const id = created.projectId;
      for (const suffix of ['a', 'b']) await timed('update', id, () => http('PUT', `/projects/${id}`, { name: `${name}-${suffix}` }), 200);
      await timed('read', id, () => http('GET', `/projects/${id}`), 200);
    }
  });
  return {
    outcomes,
    completedSince: (since: number) => outcomes.filter((outcome) => outcome.startedAt >= since).length,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** The events of the given projects the stream holds, counted by project and type. */
async function streamEvents(ours: Set<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const last = (await jsm.streams.info(STREAM)).state.last_seq;
  const consumer = await jetstream(inspector).consumers.get(STREAM);
  let seq = 0;
  while (seq < last) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 5000 });
    for await (const message of batch) {
      seq = message.seq;
      const event = message.json<{ type: string; data: { project_id?: string } }>();
      if (TYPES.includes(event.type) && ours.has(event.data.project_id!)) {
        const key = `${event.data.project_id}/${event.type}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      if (seq >= last) break;
    }
  }
  return counts;
}

/** The audit trail of a project (every page), as the API shows it. */
async function auditTrail(projectId: string): Promise<string[]> {
  const types: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page += 1) {
    const response = await http('GET', `/projects/${projectId}/events?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status, response.text).toBe(200);
    types.push(...response.body.data.map((event: { type: string }) => event.type).filter((type: string) => TYPES.includes(type)));
    cursor = response.body.next_cursor;
    if (!cursor) break;
  }
  return types.sort();
}

describe('a 3-node NATS cluster under load', () => {
  it('runs the stream and the bucket at 3 replicas, each app on a node of its own', async () => {
    expect((await jsm.streams.info(STREAM)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(`OBJ_${BUCKET}`)).config.num_replicas).toBe(3);
    for (const [app, node] of Object.entries(HOME)) {
      await expect.poll(() => connectionsOn(cluster.nodes[node]!)).toContain(app);
    }
    await expect.poll(everythingCurrent, { timeout: 30_000 }).toBe(true);
  });

  it('loses no request and no event, and duplicates none, while one node after another is stopped and comes back', async () => {
    // What the apps warned of (a publish failed, an event set aside, a call failed) tells why.
    onTestFailed(() => {
      for (const app of apps) {
        const warnings = app
          .output()
          .split('\n')
          .filter((line) => /"level":(4|5)0/.test(line));
        console.log(
          `${app.label}: ${warnings.length} warnings and errors, the first:\n${warnings
            .slice(0, 5)
            .map((line) => line.slice(0, 1500))
            .join('\n')}`,
        );
      }
    });
    const iconProject = (await http('POST', '/projects', { name: `cluster-icons-${randomUUID().slice(0, 8)}` })).body.data.id as string;
    let icon: { path: string; bytes: Buffer } | undefined;
    let phase = 'steady';
    const load = startLoad(6, () => phase);
    let outcomes: Outcome[] = [];
    const [gatewayNode, identityNode, projectsNode] = cluster.nodes as [NatsClusterNode, NatsClusterNode, NatsClusterNode];
    const since = Date.now();
    try {
      await until(() => load.completedSince(0) >= 60, 'a steady load');
      // The services' nodes first, then the gateway's; each the events stream's leader when it goes.
      for (const node of [projectsNode, identityNode, gatewayNode]) {
        phase = `${node.name} leads`;
        await leadOn(STREAM, node);
        const homed = Object.entries(HOME)
          .filter(([, index]) => cluster.nodes[index] === node)
          .map(([app]) => app);
        phase = `${node.name} down`;
        await node.stop();
        const down = Date.now();
        // The apps that were on it carry on from the other nodes, and the stream has a new leader.
        await until(
          async () => {
            const elsewhere = (await Promise.all(cluster.nodes.filter((other) => other.running()).map(connectionsOn))).flat();
            return homed.every((app) => elsewhere.includes(app));
          },
          `${homed.join(', ')} to reconnect after ${node.name} stopped`,
        );
        await until(async () => {
          const now = await leaderOf(STREAM).catch(() => undefined);
          return now !== undefined && now !== node.name;
        }, `a new leader of the stream with ${node.name} down`);
        await until(() => load.completedSince(down) >= 100, `requests with ${node.name} down`);
        // The icons bucket: the icon put while the previous node was down (since caught up) is
        // still served, and a new one is stored and served with this node down.
        if (icon) await expectServed(icon, 'the icon put in the previous round');
        icon = await uploadIcon(iconProject, png(2, 2 + cluster.nodes.indexOf(node)));
        await expectServed(icon, 'the icon just put');
        await node.start();
        phase = `${node.name} back`;
        // Back, and caught up: every stream and consumer has all three replicas current again.
        await until(everythingCurrent, `${node.name} to catch up`, 90_000);
        const up = Date.now();
        await until(() => load.completedSince(up) >= 60, `requests with ${node.name} back`);
      }
      phase = 'steady again';
      await expectServed(icon!, 'the last icon, every node back');
    } finally {
      outcomes = await load.stop();
    }
    const retried = outcomes.filter((outcome) => outcome.attempts > 1);
    console.log(
      `cluster: ${JSON.stringify({
        ...describeLatency(outcomes as unknown as Parameters<typeof describeLatency>[0], since),
        retried: retried.length,
        retriedByPhase: Object.fromEntries(
          [...new Set(retried.map((outcome) => outcome.phase))].map((p) => [p, retried.filter((o) => o.phase === p).length]),
        ),
      })}`,
    );
    // Every request succeeded, at most after retrying the contract's 503 SERVICE_UNAVAILABLE ("safe to retry"):
    // see infra/README.md for when a node's loss still costs a caller a 503 (its own connection dropping).
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    for (const outcome of retried) console.log(`retried: ${JSON.stringify(outcome)}`);

    // Each write once: each create a project row and one created event, each update one updated event.
    const expected = new Map<string, number>();
    for (const outcome of outcomes.filter((candidate) => candidate.kind !== 'read')) {
      const key = `${outcome.projectId}/projects.v1.${outcome.kind === 'create' ? 'created' : 'updated'}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    // An update answered 503 may have been done before its answer was lost: retried, it is done again (a second event).
    const mayRepeat = new Map<string, number>();
    for (const outcome of retried.filter((candidate) => candidate.kind === 'update')) {
      const key = `${outcome.projectId}/projects.v1.updated`;
      mayRepeat.set(key, (mayRepeat.get(key) ?? 0) + outcome.attempts - 1);
    }
    const projectIds = [...new Set(outcomes.map((outcome) => outcome.projectId!))];
    expect(projectIds.length).toBeGreaterThan(100);
    const rows = await queryDatabase<{ id: string }>(deployment.databaseUrl, 'select id from projects.projects where id = any($1)', [
      projectIds,
    ]);
    expect(rows).toHaveLength(projectIds.length);
    const withinExpected = (counts: Map<string, number>) => {
      const off = [...new Set([...counts.keys(), ...expected.keys()])].filter((key) => {
        const count = counts.get(key) ?? 0;
        const least = expected.get(key) ?? 0;
        return count < least || count > least + (mayRepeat.get(key) ?? 0);
      });
      return Object.fromEntries(off.map((key) => [key, { found: counts.get(key) ?? 0, expected: expected.get(key) ?? 0 }]));
    };

    // No event was given up on: an outbox row set aside (failed_at) is an event nobody will ever see.
    const setAside = await queryDatabase(
      deployment.databaseUrl,
      `select 'projects' as schema, id, type, attempts, last_error from projects.outbox where failed_at is not null
       union all select 'identity', id, type, attempts, last_error from identity.outbox where failed_at is not null
       union all select 'environments', id, type, attempts, last_error from environments.outbox where failed_at is not null`,
    );
    expect(setAside).toEqual([]);
    // The stream holds each event exactly once (the outbox's re-sends deduplicated across leaders).
    await expect.poll(async () => withinExpected(await streamEvents(new Set(projectIds))), { timeout: 60_000 }).toEqual({});
    // The audit trail is complete: every project shows its creation and both renames, each once.
    await expect
      .poll(
        async () => {
          const rows = await queryDatabase<{ project_id: string; type: string; n: string }>(
            deployment.databaseUrl,
            'select project_id, type, count(*) as n from projects.audit_events where project_id = any($1) and type = any($2) group by project_id, type',
            [projectIds, TYPES],
          );
          return withinExpected(new Map(rows.map((row) => [`${row.project_id}/${row.type}`, Number(row.n)])));
        },
        { timeout: 60_000 },
      )
      .toEqual({});
    for (const projectId of projectIds.filter((id) => !mayRepeat.has(`${id}/projects.v1.updated`)).slice(0, 10)) {
      expect(await auditTrail(projectId)).toEqual(['projects.v1.created', 'projects.v1.updated', 'projects.v1.updated']);
    }
  });
});
