import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startInProcessTestSystem, startTestSystem } from './support/system.js';
import type { ApiSystem } from './support/system.js';

/**
 * Events end to end, as a new user meets them: every change to a project is in its audit trail
 * with its actor and request, and deleting the project leaves nothing of it in any service's
 * database — removed by each owner from `projects.v1.deleted`.
 */
/** Both ways the system runs: services over NATS and JetStream, and the one-process mode of `pnpm start`. */
const MODES = {
  nats: () => startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' }),
  'in-process': () => startInProcessTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' }),
};
let system: ApiSystem;

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);

/** Every row any service keeps about the project, by table. */
async function leftovers(projectId: string) {
  const [row] = await sql<Record<string, string>>(
    `select (select count(*) from projects.projects where id = $1) as projects,
            (select count(*) from projects.members where project_id = $1) as members,
            (select count(*) from environments.environments where project_id = $1) as environments,
            (select count(*) from environments.variables v join environments.environments e on e.id = v.environment_id
              where e.project_id = $1) as variables,
            (select count(*) from identity.invites where project_id = $1) as invites`,
    [projectId],
  );
  return Object.fromEntries(Object.entries(row!).map(([table, count]) => [table, Number(count)]));
}

const nothing = { projects: 0, members: 0, environments: 0, variables: 0, invites: 0 };

async function ok(response: Promise<{ status: number; text: string; body: any }>, status = 200) {
  const answer = await response;
  expect(answer.status, answer.text).toBe(status);
  return answer.body?.data;
}

/** A project with an environment, variables (one secret), a member and a pending invite. */
async function fullProject(owner: User, member: User) {
  const { api } = system;
  const project = await ok(api('POST', '/projects', { token: owner.token, body: { name: `evt-${randomUUID().slice(0, 8)}` } }), 201);
  const staging = await ok(
    api('POST', `/projects/${project.id}/environments`, { token: owner.token, body: { name: 'staging', type: 'staging' } }),
    201,
  );
  const variables = `/projects/${project.id}/environments/${staging.id}/variables`;
  await ok(api('PUT', `${variables}/API_URL`, { token: owner.token, body: { value: 'https://plain-value.internal' } }));
  await ok(api('PUT', `${variables}/DB_PASSWORD`, { token: owner.token, body: { value: 'hunter2-very-secret', secret: true } }));
  const membership = await ok(
    api('POST', `/projects/${project.id}/members`, { token: owner.token, body: { user_id: member.id, role: 'viewer' } }),
    201,
  );
  await ok(api('PUT', `/projects/${project.id}/members/${membership.id}`, { token: owner.token, body: { role: 'member' } }));
  await ok(
    api('POST', `/projects/${project.id}/invites`, {
      token: owner.token,
      body: { email: `invitee-${randomUUID().slice(0, 8)}@example.com`, role: 'member' },
    }),
    201,
  );
  return { project, staging, membership };
}

/** The whole trail, newest first, page by page. */
async function trail(projectId: string, token: string, query = '') {
  const events: any[] = [];
  let cursor: string | null = null;
  do {
    const page = await system.api('GET', `/projects/${projectId}/events?limit=3${query}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(page.status, page.text).toBe(200);
    events.push(...page.body.data);
    cursor = page.body.next_cursor;
  } while (cursor);
  return events;
}

describe.each(Object.keys(MODES) as (keyof typeof MODES)[])('%s', (mode) => {
  beforeAll(async () => {
    system = await MODES[mode]();
  });
  afterAll(() => system?.stop());

  describe('the audit trail', () => {
    it('shows the creation, the member changes and the environment changes, with their actors and requests, newest first', async () => {
      const owner = await newUser(system.api, 'owner');
      const member = await newUser(system.api, 'member');
      const { project, staging, membership } = await fullProject(owner, member);
      const expected = [
        'projects.v1.created',
        'environments.v1.created',
        'environments.v1.variable_set',
        'environments.v1.variable_set',
        'projects.v1.member_added',
        'projects.v1.member_role_changed',
        'identity.v1.invite_created',
      ];
      // The trail is built from the events, so it catches up a moment after the answers.
      await expect
        .poll(async () => (await trail(project.id, owner.token)).map((e) => e.type).sort(), { timeout: 20_000 })
        .toEqual([...expected].sort());
      const events = await trail(project.id, owner.token);
      expect(events.map((event) => event.type)).toEqual([...expected].reverse());
      for (const event of events) {
        expect(event).toMatchObject({
          actor_id: owner.id,
          request_id: expect.any(String),
          data: expect.objectContaining({ project_id: project.id }),
        });
      }
      const sorted = [...events].sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0));
      expect(events.map((event) => event.occurred_at)).toEqual(sorted.map((event) => event.occurred_at));
      expect(events.find((event) => event.type === 'projects.v1.member_role_changed').data).toEqual({
        project_id: project.id,
        member_id: membership.id,
        user_id: member.id,
        role: 'member',
        previous_role: 'viewer',
      });
      // Key names only: no variable's value ever reaches an event.
      const secret = events.find((event) => event.data.key === 'DB_PASSWORD');
      expect(secret.data).toEqual({
        project_id: project.id,
        environment_id: staging.id,
        name: 'staging',
        key: 'DB_PASSWORD',
        secret: true,
        created: true,
      });
      expect(JSON.stringify(events)).not.toMatch(/hunter2|plain-value/);
      const outboxes = await sql(`select payload from environments.outbox union all select payload from projects.outbox`);
      expect(JSON.stringify(outboxes)).not.toContain('hunter2');

      // One kind only; a request id names the request that made the change.
      expect((await trail(project.id, owner.token, '&type=environments.v1.variable_set')).map((event) => event.data.key)).toEqual([
        'DB_PASSWORD',
        'API_URL',
      ]);
      const renamed = await system.api('PUT', `/projects/${project.id}`, {
        token: owner.token,
        body: { description: 'now described' },
        headers: { 'x-request-id': 'audit-trail-test-1' },
      });
      expect(renamed.status).toBe(200);
      await expect
        .poll(async () => (await trail(project.id, owner.token, '&type=projects.v1.updated'))[0], { timeout: 20_000 })
        .toMatchObject({
          request_id: 'audit-trail-test-1',
          data: { fields: ['description'] },
        });
    });

    it('is for admins and the owner; a forged cursor or an unknown type is a 400', async () => {
      const owner = await newUser(system.api, 'owner');
      const member = await newUser(system.api, 'member');
      const { project } = await fullProject(owner, member);
      expect((await system.api('GET', `/projects/${project.id}/events`, { token: member.token })).status).toBe(403);
      const forged = await system.api(
        'GET',
        `/projects/${project.id}/events?cursor=${Buffer.from('["2024-01-01T00:00:00Z","x"]').toString('base64url')}`,
        { token: owner.token },
      );
      expect(forged.status).toBe(400);
      expect(forged.body.error.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
      expect((await system.api('GET', `/projects/${project.id}/events?type=projects.v1.exploded`, { token: owner.token })).status).toBe(
        400,
      );
    });
  });

  describe('deleting a project', () => {
    it('answers 204, is gone at once, and leaves nothing of the project in any service; its trail stays', async () => {
      const owner = await newUser(system.api, 'owner');
      const member = await newUser(system.api, 'member');
      const { project } = await fullProject(owner, member);
      expect(await leftovers(project.id)).toEqual({ projects: 1, members: 2, environments: 2, variables: 2, invites: 1 });

      expect((await system.api('DELETE', `/projects/${project.id}`, { token: owner.token })).status).toBe(204);
      expect((await system.api('GET', `/projects/${project.id}`, { token: owner.token })).status).toBe(404);
      expect((await system.api('GET', `/projects/${project.id}/environments`, { token: owner.token })).status).toBe(404);
      await expect.poll(() => leftovers(project.id), { timeout: 20_000 }).toEqual(nothing);
      // Each consumer handled the deletion once; the trail keeps its history, the deletion last.
      await expect
        .poll(
          async () =>
            (
              await sql(`select count(*)::int as n from projects.audit_events where project_id = $1 and type = 'projects.v1.deleted'`, [
                project.id,
              ])
            )[0],
          { timeout: 20_000 },
        )
        .toEqual({ n: 1 });
      const kept = await sql<{ type: string }>(
        `select type from projects.audit_events where project_id = $1 order by created_at desc, id desc`,
        [project.id],
      );
      expect(kept[0]!.type).toBe('projects.v1.deleted');
      expect(kept.length).toBeGreaterThanOrEqual(8);
      // Every consumer handled each event on its first delivery: the creation's default
      // environment was ensured by environments (not retried), and nothing was dead-lettered.
      const [created] = await sql<{ id: string }>(
        `select id from projects.audit_events where project_id = $1 and type = 'projects.v1.created'`,
        [project.id],
      );
      await expect
        .poll(
          async () =>
            (
              await sql(
                `select count(*)::int as n from environments.processed_events where consumer = 'environments_cascade' and event_id = $1`,
                [created!.id],
              )
            )[0],
          { timeout: 20_000 },
        )
        .toEqual({ n: 1 });
      const deadLetters = await sql(
        `select consumer from projects.event_dead_letters union all select consumer from environments.event_dead_letters
       union all select consumer from identity.event_dead_letters`,
      );
      expect(deadLetters).toEqual([]);
    });
  });
});
