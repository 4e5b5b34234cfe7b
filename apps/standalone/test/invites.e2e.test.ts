import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  // Many users register here: the sign-up rate limit is another test's subject.
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0', PUBLIC_URL: 'https://api.example.com' });
});
afterAll(() => system?.stop());

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);

async function projectOf(owner: User, name = `inv-${randomUUID().slice(0, 8)}`) {
  const created = await system.api('POST', '/projects', { token: owner.token, body: { name, display_name: 'Invite Target' } });
  expect(created.status).toBe(201);
  return created.body.data as { id: string; name: string };
}

async function invite(projectId: string, by: User, email: string, role = 'member') {
  const response = await system.api('POST', `/projects/${projectId}/invites`, { token: by.token, body: { email, role } });
  expect(response.status, response.text).toBe(201);
  return response.body.data as { id: string; token: string; accept_url: string };
}

describe('invites, as a new user meets them', () => {
  it('owner invites by e-mail; the colleague registers, finds, reads and accepts it, and is a member with the invited role and name', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const project = await projectOf(owner);
    const email = `colleague-${randomUUID().slice(0, 8)}@example.com`;

    const created = await api('POST', `/projects/${project.id}/invites`, {
      token: owner.token,
      body: { email: email.toUpperCase(), role: 'admin' },
    });
    expect(created.status).toBe(201);
    const { token, accept_url: acceptUrl } = created.body.data;
    expect(created.body.data).toMatchObject({
      project_id: project.id,
      email,
      role: 'admin',
      status: 'pending',
      invited_by: owner.id,
      accepted_at: null,
    });
    expect(token).toMatch(/^ati_[A-Za-z0-9_-]{43}$/);
    expect(acceptUrl).toBe(`https://api.example.com/api/v1/invites/${token}/accept`);
    // Stored as a hash only.
    const [row] = await sql<{ token_hash: string }>('select token_hash from identity.invites where id = $1', [created.body.data.id]);
    expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(await sql('select * from identity.invites'))).not.toContain(token);

    const listed = await api('GET', `/projects/${project.id}/invites`, { token: owner.token });
    expect(listed.body.data.map((i: { id: string }) => i.id)).toEqual([created.body.data.id]);
    expect(listed.body.data[0].token).toBeUndefined();

    const preview = await api('GET', `/invites/${token}`);
    expect(preview.status).toBe(200);
    expect(preview.body.data).toEqual({
      id: created.body.data.id,
      project: { id: project.id, name: project.name, display_name: 'Invite Target' },
      email,
      role: 'admin',
      status: 'pending',
      expires_at: created.body.data.expires_at,
      invited_by: { name: 'owner' },
    });
    const days = (Date.parse(created.body.data.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const colleague = await api('POST', '/auth/register', { body: { email, password: 'correct horse battery', name: 'Colleague' } });
    const colleagueToken = colleague.body.data.token;
    const mine = await api('GET', '/me/invites', { token: colleagueToken });
    expect(mine.body.data).toEqual([
      expect.objectContaining({ id: created.body.data.id, project: { id: project.id, name: project.name, display_name: 'Invite Target' } }),
    ]);

    const accepted = await api('POST', `/invites/${token}/accept`, { token: colleagueToken });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.data).toMatchObject({
      project_id: project.id,
      user_id: colleague.body.data.user.id,
      email,
      name: 'Colleague',
      role: 'admin',
    });

    const members = await api('GET', `/projects/${project.id}/members`, { token: colleagueToken });
    expect(members.body.data.map((m: { name: string; role: string }) => [m.name, m.role])).toEqual([
      ['owner', 'owner'],
      ['Colleague', 'admin'],
    ]);
    expect((await api('POST', `/invites/${token}/accept`, { token: colleagueToken })).status).toBe(409);
    expect((await api('GET', `/invites/${token}`)).body.data.status).toBe('accepted');
    expect((await api('GET', '/me/invites', { token: colleagueToken })).body.data).toEqual([]);
    expect((await api('GET', `/projects/${project.id}/invites`, { token: owner.token })).body.data).toEqual([]);
  });

  it('refuses duplicates and members (409), other e-mails (403), cancelled and expired invites (410), unknown tokens (404)', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const member = await newUser(api, 'member');
    const project = await projectOf(owner);
    await api('POST', `/projects/${project.id}/members`, { token: owner.token, body: { user_id: member.id, role: 'viewer' } });

    const email = `someone-${randomUUID().slice(0, 8)}@example.com`;
    const first = await invite(project.id, owner, email);
    const duplicate = await api('POST', `/projects/${project.id}/invites`, { token: owner.token, body: { email, role: 'viewer' } });
    expect(duplicate.status).toBe(409);
    expect(
      (await api('POST', `/projects/${project.id}/invites`, { token: owner.token, body: { email: member.email, role: 'admin' } })).status,
    ).toBe(409);
    expect(
      (await api('POST', `/projects/${project.id}/invites`, { token: owner.token, body: { email: 'x@example.com', role: 'owner' } }))
        .status,
    ).toBe(400);
    expect(
      (await api('POST', `/projects/${project.id}/invites`, { token: member.token, body: { email: 'x@example.com', role: 'viewer' } }))
        .status,
    ).toBe(403);

    const stranger = await newUser(api, 'stranger');
    const wrong = await api('POST', `/invites/${first.token}/accept`, { token: stranger.token });
    expect(wrong.status).toBe(403);

    expect((await api('DELETE', `/projects/${project.id}/invites/${first.id}`, { token: owner.token })).status).toBe(204);
    expect((await api('DELETE', `/projects/${project.id}/invites/${first.id}`, { token: owner.token })).status).toBe(409);
    const invitee = await api('POST', '/auth/register', { body: { email, password: 'correct horse battery' } });
    const cancelled = await api('POST', `/invites/${first.token}/accept`, { token: invitee.body.data.token });
    expect(cancelled.status).toBe(410);
    expect(cancelled.body.error.code).toBe('GONE');

    // A new invite once the old one is closed; then it expires.
    const second = await invite(project.id, owner, email);
    await sql(`update identity.invites set expires_at = now() - interval '1 minute' where id = $1`, [second.id]);
    expect((await api('GET', `/invites/${second.token}`)).body.data.status).toBe('expired');
    expect((await api('POST', `/invites/${second.token}/accept`, { token: invitee.body.data.token })).status).toBe(410);
    expect((await api('GET', '/me/invites', { token: invitee.body.data.token })).body.data).toEqual([]);
    // …and an expired invite does not block a fresh one.
    await invite(project.id, owner, email);

    const unknown = await api('GET', `/invites/ati_${'A'.repeat(43)}`);
    const malformed = await api('GET', '/invites/%20nonsense');
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(malformed.body).toEqual(unknown.body);
    const overlong = await api('GET', `/invites/ati_${'A'.repeat(1000)}`);
    expect(overlong.status).toBe(404);
    expect(overlong.body).toEqual(unknown.body);
    expect((await api('POST', `/invites/ati_${'A'.repeat(43)}/accept`, { token: invitee.body.data.token })).status).toBe(404);
  });

  it('fifty concurrent accepts of one invite make one membership', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const project = await projectOf(owner);
    const invitee = await newUser(api, 'invitee');
    const { token } = await invite(project.id, owner, invitee.email, 'viewer');

    const answers = await Promise.all(Array.from({ length: 50 }, () => api('POST', `/invites/${token}/accept`, { token: invitee.token })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    const rows = await sql('select role from projects.members where project_id = $1 and user_id = $2', [project.id, invitee.id]);
    expect(rows).toEqual([{ role: 'viewer' }]);
  });

  it('with projects down the invite stays pending and the caller gets 503; retrying succeeds', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const project = await projectOf(owner);
    const invitee = await newUser(api, 'invitee');
    const { id, token } = await invite(project.id, owner, invitee.email);

    await system.stopService('projects');
    try {
      const down = await api('POST', `/invites/${token}/accept`, { token: invitee.token });
      expect(down.status).toBe(503);
      expect(await sql('select status from identity.invites where id = $1', [id])).toEqual([{ status: 'pending' }]);
    } finally {
      await system.resumeService('projects');
    }
    const retried = await api('POST', `/invites/${token}/accept`, { token: invitee.token });
    expect(retried.status, retried.text).toBe(200);
  });
});

describe('invite tokens under the low rate limit', () => {
  let limited: TestSystem;
  beforeAll(async () => {
    limited = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => limited?.stop());

  it('answers 429 with Retry-After once an address has tried too many tokens', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestSystem['api']>> | undefined;
    for (let i = 0; i < 4; i += 1) {
      last = await limited.api('GET', `/invites/ati_guess${i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body.error.code).toBe('TOO_MANY_REQUESTS');
    // Accepting shares that budget; other routes do not.
    expect((await limited.api('POST', '/invites/ati_guess/accept')).status).toBe(429);
    expect((await limited.api('GET', '/projects')).status).toBe(401);
  });
});

describe('AUTH_REGISTRATION=invite-only', () => {
  let closed: TestSystem;
  beforeAll(async () => {
    closed = await startTestSystem({ AUTH_REGISTRATION: 'invite-only', AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => closed?.stop());

  it('lets the first user in, then only invited e-mails', async () => {
    const register = (email: string) => closed.api('POST', '/auth/register', { body: { email, password: 'correct horse battery' } });
    const first = await register('first@example.com');
    expect(first.status).toBe(201);
    const uninvited = await register('nobody@example.com');
    expect(uninvited.status).toBe(403);
    expect(uninvited.body.error.code).toBe('FORBIDDEN');

    const project = await closed.api('POST', '/projects', { token: first.body.data.token, body: { name: 'closed-club' } });
    const invited = await closed.api('POST', `/projects/${project.body.data.id}/invites`, {
      token: first.body.data.token,
      body: { email: 'Guest@Example.com', role: 'viewer' },
    });
    expect(invited.status).toBe(201);
    expect((await register('guest@example.com')).status).toBe(201);
    expect((await register('nobody@example.com')).status).toBe(403);
  });
});
