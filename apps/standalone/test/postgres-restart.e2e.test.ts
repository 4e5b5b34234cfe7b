import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, onTestFinished, vi } from 'vitest';
import { startEmbeddedPostgres } from '@atrium/local-infra';
import type { RunningPostgres } from '@atrium/local-infra';
import { createTestDatabase, queryDatabase } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * PostgreSQL restarted under load: the system runs on a PostgreSQL of this file's own (stopping
 * the shared one would fail every other test file), steady writes and reads go over real HTTP,
 * and PostgreSQL is stopped (fast shutdown), kept down a few seconds and started again. While
 * it is down every request answers 503 at once; afterwards the services are back by
 * themselves, and every write answered 2xx is in the database and in the audit trail.
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

/** Well under the request deadline (20 s here): an outage answer must not wait for it. */
const FAST_MS = 3_000;

interface Answer {
  kind: 'create' | 'update' | 'read';
  requestId: string;
  status: number;
  body: any;
  startedAt: number;
  ms: number;
  projectId?: string;
}

let dataDir: string;
let postgres: RunningPostgres;
let database: TestDatabase;
let system: TestSystem;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'atrium-pg-restart-'));
  postgres = await startEmbeddedPostgres({ dataDir, persistent: false });
  database = await createTestDatabase(postgres.url, 'pgrestart');
  // Steady load from one client: the per-client rate limit is not under test here. E2E_LOG=warn
  // shows the services' logs (which error a failing answer had).
  system = await startTestSystem({
    DATABASE_URL: database.url,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: (process.env.E2E_LOG ?? 'silent') as 'silent',
  });
});
afterAll(async () => {
  await system?.stop();
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(database.url, text, values);

describe('PostgreSQL restarted under load', () => {
  it('answers 503 at once while it is down, recovers by itself, and loses no acknowledged write', async () => {
    const { token } = await newUser(system.api, 'pgrestart');
    const answers: Answer[] = [];
    let running = true;

    const request = async (kind: Answer['kind'], method: string, path: string, body?: unknown) => {
      const requestId = `pgrestart-${randomUUID()}`;
      const startedAt = Date.now();
      // A request the gateway never answered is status 0 (and fails the checks below).
      const response = await system
        .api(method, path, { token, body, headers: { 'x-request-id': requestId } })
        .catch((error: unknown) => ({ status: 0, body: String(error) }));
      const answer: Answer = { kind, requestId, status: response.status, body: response.body, startedAt, ms: Date.now() - startedAt };
      answers.push(answer);
      // Steady, bounded load: a worker's next request a moment after its last answer, however quick.
      await new Promise((resolve) => setTimeout(resolve, 25));
      return answer;
    };

    // Each worker: create a project, then update it and read it, again and again (bounded: one
    // request at a time per worker).
    const worker = async (index: number) => {
      let projectId: string | undefined;
      for (let round = 0; running; round += 1) {
        if (projectId === undefined || round % 4 === 0) {
          const created = await request('create', 'POST', '/projects', { name: `restart-${index}-${round}-${randomUUID().slice(0, 6)}` });
          if (created.status === 201) {
            projectId = created.body.data.id as string;
            created.projectId = projectId;
          }
          continue;
        }
        const updated = await request('update', 'PUT', `/projects/${projectId}`, { description: `round ${round}` });
        updated.projectId = projectId;
        await request('read', 'GET', round % 2 ? `/projects/${projectId}` : '/projects?limit=5');
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    onTestFinished(async () => {
      running = false;
      await Promise.all(workers);
    });
    onTestFailed(() => {
      // What each request met, in order: enough to tell a slow answer from a wrong one.
      const start = answers[0]?.startedAt ?? 0;
      console.log(
        answers
          .map((a) => `${a.startedAt - start}ms +${a.ms} ${a.kind} ${a.status} ${a.status >= 300 ? JSON.stringify(a.body) : ''}`)
          .join('\n'),
      );
    });
    const since = (time: number, kind?: Answer['kind']) =>
      answers.filter((answer) => answer.startedAt >= time && (kind === undefined || answer.kind === kind));

    // Steady load first: every kind of request succeeds.
    const loadStarted = Date.now();
    await expect
      .poll(() => (['create', 'update', 'read'] as const).every((kind) => since(loadStarted, kind).some((answer) => answer.status < 300)), {
        timeout: 30_000,
      })
      .toBe(true);

    await postgres.halt();
    const downSince = Date.now();
    // Down for a few seconds, and long enough for writes and reads to have met it.
    await expect
      .poll(
        () =>
          Date.now() - downSince >= 3_000 &&
          (['create', 'update', 'read'] as const).every((kind) => since(downSince, kind).some((answer) => answer.status === 503)),
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    const downUntil = Date.now();
    await postgres.resume();
    const upSince = Date.now();

    // Back by themselves: writes and reads begun after the restart succeed again.
    await expect
      .poll(() => (['create', 'update', 'read'] as const).every((kind) => since(upSince, kind).some((answer) => answer.status < 300)), {
        timeout: 60_000,
        interval: 100,
      })
      .toBe(true);
    running = false;
    await Promise.all(workers);

    // While it was down: each answer a quick 503 in the error envelope.
    const duringOutage = answers.filter((answer) => answer.startedAt >= downSince && answer.startedAt + answer.ms <= downUntil);
    expect(duringOutage.length).toBeGreaterThan(0);
    for (const answer of duringOutage) {
      expect({ kind: answer.kind, status: answer.status, body: answer.body }).toEqual({
        kind: answer.kind,
        status: 503,
        body: { success: false, error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } },
      });
      expect(answer.ms).toBeLessThan(FAST_MS);
    }
    // Whatever failed, before, during or after the outage, failed as 503: never a 500.
    const failures = answers.filter((answer) => answer.status >= 300);
    expect(failures.map((answer) => answer.status).filter((status) => status !== 503)).toEqual([]);

    // No acknowledged write lost: each is in the database, and its event in the audit trail.
    const created = answers.filter((answer) => answer.kind === 'create' && answer.status === 201);
    const updated = answers.filter((answer) => answer.kind === 'update' && answer.status === 200);
    expect(created.length).toBeGreaterThan(0);
    expect(updated.length).toBeGreaterThan(0);
    const createdIds = created.map((answer) => answer.projectId!);
    const stored = await sql<{ id: string }>('select id from projects.projects where id = any($1::uuid[])', [createdIds]);
    expect(stored.map((row) => row.id).sort()).toEqual([...createdIds].sort());
    const acknowledged = [...created, ...updated];
    const trailed = async () => {
      const rows = await sql<{ request_id: string; type: string; project_id: string }>(
        'select request_id, type, project_id from projects.audit_events where request_id = any($1::text[])',
        [acknowledged.map((answer) => answer.requestId)],
      );
      const found = new Set(rows.map((row) => `${row.request_id} ${row.type} ${row.project_id}`));
      return acknowledged
        .filter(
          (answer) => !found.has(`${answer.requestId} projects.v1.${answer.kind === 'create' ? 'created' : 'updated'} ${answer.projectId}`),
        )
        .map((answer) => `${answer.kind} ${answer.requestId}`);
    };
    await expect.poll(trailed, { timeout: 60_000, interval: 250 }).toEqual([]);
  });
});
