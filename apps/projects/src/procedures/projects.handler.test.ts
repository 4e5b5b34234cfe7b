import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startOrmHarness } from '@atrium/test-kit';
import { createLocalBroadcast } from '@atrium/nats-trpc';
import { folderUploadStore } from '@atrium/uploads';
import { createLogger, createServiceContext, serviceClients } from '@atrium/service-runtime';
import type { OutboxRelay } from '@atrium/service-runtime';
import { initProjectsOrm } from '../db.js';
import { Member, Project } from '../entities/index.js';
import { createProjectsRouter } from '../router.js';

let harness: Awaited<ReturnType<typeof startOrmHarness<MikroORM>>>;
const router = createProjectsRouter({ uploads: folderUploadStore(join(tmpdir(), `atrium-uploads-${randomUUID()}`)) });
const log = createLogger('projects', 'silent');
/** Every statement the ORM sends, so hot paths can be held to their query budget. */
const statements: string[] = [];

beforeAll(async () => {
  harness = await startOrmHarness((url) => initProjectsOrm(url, { onQuery: (sql) => statements.push(sql) }));
});
afterAll(() => harness?.stop());

/**
 * A caller for `userId`, on an EntityManager forked for this call; or, `asServed`, on the root
 * one forked on first use, as the service endpoint does (calls then share its batched reads).
 */
function as(userId: string, { asServed = false, relay = { publishCommitted() {} } as Pick<OutboxRelay, 'publishCommitted'> } = {}) {
  const meta = { requestId: 'test', caller: { userId, credentialId: randomUUID() } };
  return router.createCaller(
    createServiceContext({
      meta,
      app: 'gateway',
      em: asServed ? harness.orm.em : harness.orm.em.fork(),
      forkOnUse: asServed,
      log,
      // The outbox rows are written; no relay publishes them here unless the test gives one.
      relay: relay as OutboxRelay,
      broadcast: createLocalBroadcast(),
      services: () => serviceClients({ call: () => Promise.reject(new Error('no other services here')) }, meta),
    }),
  );
}

describe('projects handlers', () => {
  it('create stores the project and the creator as its only owner, in one go', async () => {
    const owner = randomUUID();
    const project = await as(owner).projects.create({ name: 'unit-create' });
    expect(project).toMatchObject({ name: 'unit-create', display_name: 'unit-create', single_server_mode: false, icon_path: null });

    const em = harness.orm.em.fork();
    const members = await em.find(Member, { project: project.id });
    expect(members.map((m) => [m.userId, m.role])).toEqual([[owner, 'owner']]);
  });

  it('a duplicate name is a conflict and leaves no second project or stray membership', async () => {
    const user = randomUUID();
    await as(user).projects.create({ name: 'unit-dup' });
    await expect(as(randomUUID()).projects.create({ name: 'unit-dup' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const em = harness.orm.em.fork();
    expect(await em.count(Project, { name: 'unit-dup' })).toBe(1);
    expect(await em.count(Member, { project: { name: 'unit-dup' } })).toBe(1);
  });

  it('update is partial and null clears', async () => {
    const user = randomUUID();
    const created = await as(user).projects.create({ name: 'unit-partial', description: 'keep me', color: '#112233' });
    const updated = await as(user).projects.update({ id: created.id, color: null, auto_error_tracking_enabled: true });
    expect(updated).toMatchObject({ description: 'keep me', color: null, auto_error_tracking_enabled: true, name: 'unit-partial' });
  });

  it('writes the project and its owner membership in one transaction', async () => {
    statements.length = 0;
    await as(randomUUID()).projects.create({ name: 'unit-one-transaction' });
    const kinds = statements.map((line) => /\b(begin|commit|rollback|insert into "projects"\."(?:projects|members)")/i.exec(line)?.[1]);
    expect(kinds.filter(Boolean)).toEqual(['begin', 'insert into "projects"."projects"', 'insert into "projects"."members"', 'commit']);
  });

  it('reads a project, membership check included, in exactly one query', async () => {
    const owner = randomUUID();
    const project = await as(owner).projects.create({ name: 'unit-one-query' });
    statements.length = 0;
    await expect(as(owner).projects.get({ id: project.id })).resolves.toMatchObject({ id: project.id });
    expect(statements.filter((line) => /\bselect\b/i.test(line))).toHaveLength(1);
    expect(statements).toHaveLength(1);
  });

  it('reads the projects of several callers asking together in one query, each answered for itself', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const [mine, theirs] = [
      await as(alice).projects.create({ name: 'unit-together-a' }),
      await as(bob).projects.create({ name: 'unit-together-b' }),
    ];
    statements.length = 0;
    const outcomes = await Promise.allSettled([
      as(alice, { asServed: true }).projects.get({ id: mine.id }),
      as(bob, { asServed: true }).projects.get({ id: theirs.id }),
      as(bob, { asServed: true }).projects.get({ id: mine.id }),
    ]);
    expect(
      outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.name : (outcome.reason as { code: string }).code)),
    ).toEqual(['unit-together-a', 'unit-together-b', 'NOT_FOUND']);
    expect(statements.filter((line) => /\bselect\b/i.test(line))).toHaveLength(1);
  });

  it("hands a committed change's events to the relay as written to the outbox, and a rolled-back one's to nobody", async () => {
    const handed: { id: string; type: string }[] = [];
    const relay = { publishCommitted: (rows: readonly { id: string; type: string }[]) => void handed.push(...rows) };
    const owner = randomUUID();
    const project = await as(owner, { relay }).projects.create({ name: 'unit-handed' });
    const outbox = await harness.orm.em
      .fork()
      .execute<{ id: string; type: string }[]>(`select id, type from projects.outbox where payload->'data'->>'project_id' = ?`, [
        project.id,
      ]);
    expect(handed).toEqual([{ id: outbox[0]!.id, type: 'projects.v1.created', payload: expect.any(Object), attempts: 0 }]);
    expect(outbox).toHaveLength(1);

    handed.length = 0;
    await expect(as(randomUUID(), { relay }).projects.create({ name: 'unit-handed' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(handed).toEqual([]);
  });

  it('hides projects from non-members and refuses low roles', async () => {
    const owner = randomUUID();
    const viewer = randomUUID();
    const project = await as(owner).projects.create({ name: 'unit-roles' });
    const em = harness.orm.em.fork();
    em.create(Member, { project: project.id, userId: viewer, role: 'viewer' });
    await em.flush();

    await expect(as(randomUUID()).projects.get({ id: project.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(as(viewer).projects.get({ id: project.id })).resolves.toMatchObject({ id: project.id });
    await expect(as(viewer).projects.update({ id: project.id, description: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as(viewer).projects.delete({ id: project.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await as(owner).projects.get({ id: project.id })).description).toBeNull();
  });
});
