import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let nc: NatsConnection;
beforeAll(async () => {
  // Many users register here: the sign-up rate limit is another test's subject.
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  // The unrestricted test user of the system's nats-server, to watch the calls between services.
  const test = system.natsCredentials.test;
  nc = await connect({ servers: system.natsUrl, user: test?.user, pass: test?.password });
});
afterAll(async () => {
  await nc?.close();
  await system?.stop();
});

type User = Awaited<ReturnType<typeof newUser>>;

async function projectOf(owner: User): Promise<string> {
  const created = await system.api('POST', '/projects', { token: owner.token, body: { name: `members-${randomUUID().slice(0, 8)}` } });
  expect(created.status).toBe(201);
  return created.body.data.id;
}

async function add(projectId: string, by: User, user: User, role: string) {
  const response = await system.api('POST', `/projects/${projectId}/members`, { token: by.token, body: { user_id: user.id, role } });
  expect(response.status, response.text).toBe(201);
  return response.body.data as { id: string };
}

const ownersOf = async (projectId: string) =>
  (
    await queryDatabase<{ user_id: string }>(
      system.databaseUrl,
      `select user_id from projects.members where project_id = $1 and role = 'owner'`,
      [projectId],
    )
  ).map((row) => row.user_id);

describe('members', () => {
  it('adds users with a role and lists them with e-mail and name, from one identity call per page', async () => {
    const { api } = system;
    const owner = await newUser(api, 'Ada');
    const others = await Promise.all(['Grace', 'Linus', 'Ken'].map((name) => newUser(api, name)));
    const projectId = await projectOf(owner);

    const added = await api('POST', `/projects/${projectId}/members`, {
      token: owner.token,
      body: { user_id: others[0]!.id, role: 'admin' },
    });
    expect(added.status).toBe(201);
    expect(added.body.data).toEqual({
      id: expect.any(String),
      project_id: projectId,
      user_id: others[0]!.id,
      email: others[0]!.email,
      name: 'Grace',
      role: 'admin',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    await add(projectId, owner, others[1]!, 'member');
    await add(projectId, owner, others[2]!, 'viewer');

    // Count identity lookups on the bus while the list is read (a plain subscription sees every request).
    const lookups = nc.subscribe('svc.identity.v1.users.lookup');
    let seen = 0;
    (async () => {
      for await (const _ of lookups) seen += 1;
    })();
    await nc.flush();
    const list = await api('GET', `/projects/${projectId}/members`, { token: others[2]!.token });
    await nc.flush();
    lookups.unsubscribe();
    expect(list.status).toBe(200);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.data.map((m: { name: string; role: string; email: string }) => [m.name, m.role, m.email])).toEqual([
      ['Ada', 'owner', owner.email],
      ['Grace', 'admin', others[0]!.email],
      ['Linus', 'member', others[1]!.email],
      ['Ken', 'viewer', others[2]!.email],
    ]);
    expect(seen).toBe(1);

    const page = await api('GET', `/projects/${projectId}/members?limit=3`, { token: owner.token });
    expect(page.body.data).toHaveLength(3);
    const rest = await api('GET', `/projects/${projectId}/members?limit=3&cursor=${encodeURIComponent(page.body.next_cursor)}`, {
      token: owner.token,
    });
    expect(rest.body.data.map((m: { name: string }) => m.name)).toEqual(['Ken']);
  });

  it('refuses unknown users (404), duplicates (409) and granting owner (400)', async () => {
    const { api } = system;
    const owner = await newUser(api);
    const user = await newUser(api);
    const projectId = await projectOf(owner);
    const post = (body: unknown) => api('POST', `/projects/${projectId}/members`, { token: owner.token, body });

    const unknown = await post({ user_id: randomUUID(), role: 'member' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'NOT_FOUND', message: 'User not found' });
    expect((await post({ user_id: user.id, role: 'member' })).status).toBe(201);
    const again = await post({ user_id: user.id, role: 'admin' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    const owner2 = await post({ user_id: (await newUser(api)).id, role: 'owner' });
    expect(owner2.status).toBe(400);
    expect(owner2.body.error.details[0].path).toBe('role');
    expect(owner2.body.error.message).toMatch(/transfer/);
    expect((await post({ user_id: 'nope', role: 'member' })).status).toBe(400);
    expect(await ownersOf(projectId)).toEqual([owner.id]);
  });

  it('re-roles and removes members; nobody touches the owner, who cannot leave; others may leave', async () => {
    const { api } = system;
    const [owner, admin, member, viewer] = await Promise.all(['o', 'a', 'm', 'v'].map((label) => newUser(api, label)));
    const projectId = await projectOf(owner!);
    const adminM = await add(projectId, owner!, admin!, 'admin');
    const memberM = await add(projectId, owner!, member!, 'member');
    const viewerM = await add(projectId, owner!, viewer!, 'viewer');
    const ownerM = (await api('GET', `/projects/${projectId}/members`, { token: owner!.token })).body.data.find(
      (m: { role: string }) => m.role === 'owner',
    );
    const put = (by: User, memberId: string, role: string) =>
      api('PUT', `/projects/${projectId}/members/${memberId}`, { token: by.token, body: { role } });
    const del = (by: User, memberId: string) => api('DELETE', `/projects/${projectId}/members/${memberId}`, { token: by.token });

    // The owner's membership: an admin is refused (403); the owner is told to transfer (409).
    expect((await put(admin!, ownerM.id, 'member')).status).toBe(403);
    expect((await del(admin!, ownerM.id)).status).toBe(403);
    const ownRole = await put(owner!, ownerM.id, 'admin');
    expect(ownRole.status).toBe(409);
    const leave = await del(owner!, ownerM.id);
    expect(leave.status).toBe(409);
    expect(leave.body.error.message).toMatch(/transfer/);
    expect((await put(owner!, ownerM.id, 'owner')).status).toBe(400);

    // Below admin: no re-roling, no removing others.
    expect((await put(member!, viewerM.id, 'admin')).status).toBe(403);
    expect((await del(member!, viewerM.id)).status).toBe(403);
    expect((await del(viewer!, memberM.id)).status).toBe(403);

    const demoted = await put(admin!, memberM.id, 'viewer');
    expect(demoted.status).toBe(200);
    expect(demoted.body.data).toMatchObject({ id: memberM.id, role: 'viewer', email: member!.email, name: 'm' });
    expect((await put(admin!, randomUUID(), 'viewer')).status).toBe(404);

    // Leaving is removing your own membership, open to any role but the owner.
    const left = await del(viewer!, viewerM.id);
    expect(left.status).toBe(204);
    expect((await api('GET', `/projects/${projectId}`, { token: viewer!.token })).status).toBe(404);
    expect((await del(admin!, memberM.id)).status).toBe(204);
    expect((await del(admin!, adminM.id)).status).toBe(204);
    const remaining = await api('GET', `/projects/${projectId}/members`, { token: owner!.token });
    expect(remaining.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([owner!.id]);
  });
});

describe('ownership transfer', () => {
  it('moves to an existing member and back; the previous owner becomes admin; non-members are refused', async () => {
    const { api } = system;
    const [owner, next] = await Promise.all([newUser(api, 'first'), newUser(api, 'second')]);
    const stranger = await newUser(api);
    const projectId = await projectOf(owner);
    await add(projectId, owner, next, 'viewer');
    const transfer = (by: User, to: string) =>
      api('POST', `/projects/${projectId}/transfer`, { token: by.token, body: { new_owner_id: to } });

    const notMember = await transfer(owner, stranger.id);
    expect(notMember.status).toBe(409);
    expect((await transfer(owner, owner.id)).status).toBe(409);
    expect((await transfer(next, owner.id)).status).toBe(403);

    const moved = await transfer(owner, next.id);
    expect(moved.status).toBe(200);
    expect(moved.body.data.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      [owner.id, 'admin'],
      [next.id, 'owner'],
    ]);
    expect(moved.body.next_cursor).toBeNull();
    expect((await transfer(owner, next.id)).status).toBe(403);
    expect((await api('DELETE', `/projects/${projectId}`, { token: owner.token })).status).toBe(403);

    const back = await transfer(next, owner.id);
    expect(back.status).toBe(200);
    expect(await ownersOf(projectId)).toEqual([owner.id]);
  });

  it('keeps exactly one owner under concurrent transfers, at every instant', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const members = await Promise.all(Array.from({ length: 6 }, (_, i) => newUser(api, `m${i}`)));
    const projectId = await projectOf(owner);
    for (const member of members) await add(projectId, owner, member, 'admin');
    const everyone = [owner, ...members];

    // Someone samples the owner count all along, each sample a consistent snapshot.
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) samples.push((await ownersOf(projectId)).length);
    })();

    // The same owner transfers to six members at once: one wins, the rest no longer own it.
    const race = await Promise.all(
      members.map((member) => api('POST', `/projects/${projectId}/transfer`, { token: owner.token, body: { new_owner_id: member.id } })),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 403, 403, 403, 403, 403]);

    // Then everyone tries to pass it on to everyone else, concurrently, for a few rounds.
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(
        everyone.map((from, i) =>
          api('POST', `/projects/${projectId}/transfer`, {
            token: from.token,
            body: { new_owner_id: everyone[(i + 1) % everyone.length]!.id },
          }),
        ),
      );
    }
    sampling = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(0);
    expect(new Set(samples)).toEqual(new Set([1]));
    expect(await ownersOf(projectId)).toHaveLength(1);
  });
});
