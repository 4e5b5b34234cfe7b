import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { CREDENTIAL_REVOKED_SUBJECT, createProjectExample } from '@atrium/contract';
import { eventEnvelope } from '@atrium/service-runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startProjectsHarness } from './support/projects-harness.js';

let harness: ServiceHarness;
let nc: NatsConnection;

beforeAll(async () => {
  harness = await startProjectsHarness();
  nc = await harness.connectBus('test');
});
afterAll(async () => {
  await nc?.close();
  await harness?.stop();
});

/** The payloads the stream holds on `subject`, read back from JetStream (works on nats-server 2.9). */
async function streamedEvents(subject: string): Promise<unknown[]> {
  const manager = await jetstreamManager(nc);
  const info = await manager.streams.info(harness.events.stream);
  const payloads: unknown[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await manager.streams.getMessage(harness.events.stream, { seq }).catch(() => null);
    if (message?.subject === subject) payloads.push(message.json());
  }
  return payloads;
}

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);

const user = () => ({ userId: randomUUID(), credentialId: randomUUID() });

describe('projects over NATS', () => {
  it('creates with every field of the spec example and reads it back', async () => {
    const owner = user();
    const body = { ...createProjectExample };
    const created = await harness.call('projects.create', 'mutation', body, owner);
    expect(created).toMatchObject({ ...body, icon_path: null, auto_error_tracking_enabled: false });
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await expect(harness.call('projects.get', 'query', { id: created.id }, owner)).resolves.toEqual(created);
  });

  it("lists only the caller's projects, a page at a time, in creation order", async () => {
    const alice = user();
    const bob = user();
    const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    for (const name of names) await harness.call('projects.create', 'mutation', { name }, alice);
    await harness.call('projects.create', 'mutation', { name: 'page-bob' }, bob);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await harness.call('projects.list', 'query', { limit: 2, cursor }, alice);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p: { name: string }) => p.name));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(names);

    await expect(harness.call('projects.list', 'query', { limit: 2, cursor: 'garbage' }, alice)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('maps errors across the hop: 404 for strangers, 409 for a taken name, field details for bad input', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: 'hop-errors' }, owner);
    await expect(harness.call('projects.get', 'query', { id: project.id }, user())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      data: { apiCode: 'NOT_FOUND' },
    });
    await expect(harness.call('projects.create', 'mutation', { name: 'hop-errors' }, user())).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(harness.call('projects.create', 'mutation', { name: 'Bad Name', color: 'blue', extra: 1 }, owner)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      data: {
        details: expect.arrayContaining([
          expect.objectContaining({ path: 'name' }),
          expect.objectContaining({ path: 'color' }),
          expect.objectContaining({ message: expect.stringContaining('extra') }),
        ]),
      },
    });
  });

  it('delete is owner-only and removes the project and its memberships', async () => {
    const owner = user();
    const admin = user();
    const project = await harness.call('projects.create', 'mutation', { name: 'to-delete' }, owner);
    await sql(
      `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'admin', now(), now())`,
      [randomUUID(), project.id, admin.userId],
    );
    await expect(harness.call('projects.delete', 'mutation', { id: project.id }, admin)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(harness.call('projects.update', 'mutation', { id: project.id, description: 'admin can' }, admin)).resolves.toMatchObject({
      description: 'admin can',
    });

    await harness.call('projects.delete', 'mutation', { id: project.id }, owner);
    await expect(harness.call('projects.get', 'query', { id: project.id }, owner)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await sql(`select 1 from projects.projects where id = $1`, [project.id])).toHaveLength(0);
    expect(await sql(`select 1 from projects.members where project_id = $1`, [project.id])).toHaveLength(0);

    // The outbox row committed with the deletion, and the relay put it on the stream.
    await expect
      .poll(() => streamedEvents(`${harness.events.namespace}.projects.v1.deleted`), { timeout: 10_000 })
      .toContainEqual(
        expect.objectContaining({ type: 'projects.v1.deleted', actor: owner.userId, data: { project_id: project.id, name: 'to-delete' } }),
      );
    await expect
      .poll(async () => (await sql(`select published_at from projects.outbox where payload->'data'->>'project_id' = $1`, [project.id]))[0])
      .toMatchObject({
        published_at: expect.any(Date),
      });
  });

  it('the event commits with the change or not at all', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: 'undeletable' }, owner);
    // Make the deletion itself fail inside the transaction, after the event was recorded.
    await sql(`create or replace function projects.refuse_delete() returns trigger language plpgsql as
      $$ begin if old.name = 'undeletable' then raise exception 'refused by test'; end if; return old; end $$`);
    await sql(`create trigger refuse_delete before delete on projects.projects for each row execute function projects.refuse_delete()`);
    try {
      await expect(harness.call('projects.delete', 'mutation', { id: project.id }, owner)).rejects.toMatchObject({
        code: 'INTERNAL_SERVER_ERROR',
      });
    } finally {
      await sql(`drop trigger refuse_delete on projects.projects`);
    }
    expect(await sql(`select 1 from projects.projects where id = $1`, [project.id])).toHaveLength(1);
    expect(
      await sql(`select 1 from projects.outbox where type = 'projects.v1.deleted' and payload->'data'->>'project_id' = $1`, [project.id]),
    ).toHaveLength(0);
  });

  it('keeps events in a stream with limits and de-duplication, and never stores notifications', async () => {
    const info = await (await jetstreamManager(nc)).streams.info(harness.events.stream);
    expect(info.config.subjects).toEqual([`${harness.events.namespace}.>`]);
    expect(info.config.duplicate_window).toBe(10 * 60 * 1_000_000_000);
    expect(info.config.max_age).toBe(harness.events.maxAgeMs * 1_000_000);
    // Cache-eviction notifications must stay out of any events namespace.
    expect(CREDENTIAL_REVOKED_SUBJECT.split('.')[0]).not.toBe('evt');
  });

  it('a refused deletion writes no event', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: 'kept-project' }, owner);
    await expect(harness.call('projects.delete', 'mutation', { id: project.id }, user())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Only the creation was recorded.
    expect(await sql(`select type from projects.outbox where payload->'data'->>'project_id' = $1`, [project.id])).toEqual([
      { type: 'projects.v1.created' },
    ]);
  });

  it('the relay publishes events left behind by a crash', async () => {
    const id = randomUUID();
    const projectId = randomUUID();
    // As if a process committed a deletion and died before relaying it.
    await sql(`insert into projects.outbox (id, type, payload, created_at) values ($1, 'projects.v1.deleted', $2, now())`, [
      id,
      JSON.stringify({ ...eventEnvelope('projects.v1.deleted', { project_id: projectId, name: 'crashed' }), id }),
    ]);
    await expect
      .poll(() => streamedEvents(`${harness.events.namespace}.projects.v1.deleted`), { timeout: 10_000 })
      .toContainEqual(expect.objectContaining({ id, data: { project_id: projectId, name: 'crashed' } }));
  });

  it('the database itself allows only one owner per project', async () => {
    const owner = user();
    const project = await harness.call('projects.create', 'mutation', { name: 'one-owner' }, owner);
    await expect(
      sql(
        `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'owner', now(), now())`,
        [randomUUID(), project.id, randomUUID()],
      ),
    ).rejects.toThrow(/members_one_owner_per_project/);
  });
});
