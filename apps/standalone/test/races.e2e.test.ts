import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { ApiResponse, TestSystem } from './support/system.js';

/**
 * Every pair of writes that change the same project, membership or environment, sent together
 * over real HTTP many times, with the invariants checked after each round: one owner per
 * project, one default environment per project, nothing left of a deleted project, and each
 * pair's outcomes consistent with what is stored.
 */
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 12);

let system: TestSystem;
type User = Awaited<ReturnType<typeof newUser>>;
let owner: User;
let other: User;

beforeAll(async () => {
  system = await startTestSystem({ RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  [owner, other] = await Promise.all([newUser(system.api, 'race-owner'), newUser(system.api, 'race-other')]);
});
afterAll(() => system?.stop());

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);
const ok = (response: ApiResponse) => response.status >= 200 && response.status < 300;

async function newProject(): Promise<string> {
  const created = await system.api('POST', '/projects', { token: owner.token, body: { name: `race-${randomUUID().slice(0, 8)}` } });
  expect(created.status).toBe(201);
  return created.body.data.id;
}

async function addMember(projectId: string, user: User, role: string): Promise<string> {
  const added = await system.api('POST', `/projects/${projectId}/members`, { token: owner.token, body: { user_id: user.id, role } });
  expect(added.status, added.text).toBe(201);
  return added.body.data.id;
}

const ownersOf = async (projectId: string) =>
  (await sql<{ user_id: string }>(`select user_id from projects.members where project_id = $1 and role = 'owner'`, [projectId])).map(
    (row) => row.user_id,
  );
const projectExists = async (projectId: string) => (await sql('select 1 from projects.projects where id = $1', [projectId])).length === 1;
const membersOf = async (projectId: string) => (await sql('select 1 from projects.members where project_id = $1', [projectId])).length;
const environmentsOf = (projectId: string) =>
  sql<{ id: string; is_default: boolean }>('select id, is_default from environments.environments where project_id = $1', [projectId]);
const variablesOf = async (environmentId: string) =>
  (await sql('select 1 from environments.variables where environment_id = $1', [environmentId])).length;

/** A project that exists has one owner and one default environment; a deleted one leaves nothing (the cascade is an event: waited for). */
async function checkProject(projectId: string) {
  if (await projectExists(projectId)) {
    expect(await ownersOf(projectId)).toHaveLength(1);
    await expect.poll(async () => (await environmentsOf(projectId)).filter((e) => e.is_default).length, { timeout: 20_000 }).toBe(1);
  } else {
    expect(await membersOf(projectId)).toBe(0);
    await expect.poll(async () => (await environmentsOf(projectId)).length, { timeout: 20_000 }).toBe(0);
  }
}

/** Runs the pair together `ROUNDS` times on fresh state, checking after each. */
async function race<S>(
  prepare: () => Promise<S>,
  pair: (state: S) => [Promise<ApiResponse>, Promise<ApiResponse>],
  check: (state: S, a: ApiResponse, b: ApiResponse) => Promise<void>,
) {
  for (let round = 0; round < ROUNDS; round++) {
    const state = await prepare();
    const [a, b] = await Promise.all(pair(state));
    for (const answer of [a, b]) expect(answer.status, answer.text).toBeLessThan(500);
    await check(state, a, b);
  }
  console.info(`races: ${ROUNDS} rounds`);
}

describe('writes racing on one project', () => {
  it('transfer vs delete by the owner: never both; the new owner keeps a project the former owner could not delete', async () => {
    await race(
      async () => {
        const projectId = await newProject();
        await addMember(projectId, other, 'admin');
        return { projectId };
      },
      ({ projectId }) => [
        system.api('POST', `/projects/${projectId}/transfer`, { token: owner.token, body: { new_owner_id: other.id } }),
        system.api('DELETE', `/projects/${projectId}`, { token: owner.token }),
      ],
      async ({ projectId }, transfer, deletion) => {
        expect([ok(transfer), ok(deletion)], `transfer ${transfer.status}, delete ${deletion.status}`).not.toEqual([true, true]);
        expect(ok(transfer) || ok(deletion)).toBe(true);
        if (ok(transfer)) expect(await ownersOf(projectId)).toEqual([other.id]);
        expect(await projectExists(projectId)).toBe(!ok(deletion));
        await checkProject(projectId);
      },
    );
  });

  it('two transfers to different members: exactly one owner, the one whose transfer won', async () => {
    const third = await newUser(system.api, 'race-third');
    await race(
      async () => {
        const projectId = await newProject();
        await addMember(projectId, other, 'admin');
        await addMember(projectId, third, 'admin');
        return { projectId };
      },
      ({ projectId }) => [
        system.api('POST', `/projects/${projectId}/transfer`, { token: owner.token, body: { new_owner_id: other.id } }),
        system.api('POST', `/projects/${projectId}/transfer`, { token: owner.token, body: { new_owner_id: third.id } }),
      ],
      async ({ projectId }, first, second) => {
        const owners = await ownersOf(projectId);
        expect(owners).toHaveLength(1);
        expect([ok(first), ok(second)]).not.toEqual([true, true]);
        if (ok(first)) expect(owners).toEqual([other.id]);
        if (ok(second)) expect(owners).toEqual([third.id]);
        if (!ok(first) && !ok(second)) expect(owners).toEqual([owner.id]);
      },
    );
  });

  it('member role change vs removal: the member ends removed or with the new role, never half of each', async () => {
    await race(
      async () => {
        const projectId = await newProject();
        const memberId = await addMember(projectId, other, 'member');
        return { projectId, memberId };
      },
      ({ projectId, memberId }) => [
        system.api('PUT', `/projects/${projectId}/members/${memberId}`, { token: owner.token, body: { role: 'admin' } }),
        system.api('DELETE', `/projects/${projectId}/members/${memberId}`, { token: owner.token }),
      ],
      async ({ projectId }, update, removal) => {
        const rows = await sql<{ role: string }>('select role from projects.members where project_id = $1 and user_id = $2', [
          projectId,
          other.id,
        ]);
        expect(ok(removal)).toBe(true);
        expect(rows).toEqual([]);
        // An update that answered success saw the member before the removal.
        if (!ok(update)) expect(update.status).toBe(404);
        await checkProject(projectId);
      },
    );
  });

  it("transfer to a member vs that member's removal: never an owner who is not a member, never a project without owner", async () => {
    await race(
      async () => {
        const projectId = await newProject();
        const memberId = await addMember(projectId, other, 'admin');
        return { projectId, memberId };
      },
      ({ projectId, memberId }) => [
        system.api('POST', `/projects/${projectId}/transfer`, { token: owner.token, body: { new_owner_id: other.id } }),
        system.api('DELETE', `/projects/${projectId}/members/${memberId}`, { token: owner.token }),
      ],
      async ({ projectId }, transfer, removal) => {
        expect([ok(transfer), ok(removal)]).not.toEqual([true, true]);
        await checkProject(projectId);
        expect(await ownersOf(projectId)).toEqual([ok(transfer) ? other.id : owner.id]);
      },
    );
  });
});

describe('writes racing on one environment', () => {
  async function projectWithStaging() {
    const projectId = await newProject();
    const staging = await system.api('POST', `/projects/${projectId}/environments`, {
      token: owner.token,
      body: { name: `staging-${randomUUID().slice(0, 6)}`, type: 'staging' },
    });
    expect(staging.status, staging.text).toBe(201);
    return { projectId, environmentId: staging.body.data.id as string };
  }

  it('set-default vs set-default of two environments: exactly one default', async () => {
    await race(
      async () => {
        const { projectId, environmentId } = await projectWithStaging();
        const second = await system.api('POST', `/projects/${projectId}/environments`, {
          token: owner.token,
          body: { name: `qa-${randomUUID().slice(0, 6)}`, type: 'staging' },
        });
        return { projectId, a: environmentId, b: second.body.data.id as string };
      },
      ({ projectId, a, b }) => [
        system.api('POST', `/projects/${projectId}/environments/${a}/set-default`, { token: owner.token }),
        system.api('POST', `/projects/${projectId}/environments/${b}/set-default`, { token: owner.token }),
      ],
      async ({ projectId }) => {
        expect((await environmentsOf(projectId)).filter((e) => e.is_default)).toHaveLength(1);
      },
    );
  });

  it('set-default vs delete of that environment: the project keeps exactly one default', async () => {
    await race(
      projectWithStaging,
      ({ projectId, environmentId }) => [
        system.api('POST', `/projects/${projectId}/environments/${environmentId}/set-default`, { token: owner.token }),
        system.api('DELETE', `/projects/${projectId}/environments/${environmentId}?force=true`, { token: owner.token }),
      ],
      async ({ projectId, environmentId }, setDefault, deletion) => {
        const environments = await environmentsOf(projectId);
        expect(environments.filter((e) => e.is_default)).toHaveLength(1);
        expect(environments.some((e) => e.id === environmentId)).toBe(!ok(deletion));
        if (ok(deletion)) expect(await variablesOf(environmentId)).toBe(0);
        expect(setDefault.status).toBeLessThan(500);
      },
    );
  });

  it('a variable written while its environment is deleted: no variable outlives its environment', async () => {
    await race(
      projectWithStaging,
      ({ projectId, environmentId }) => [
        system.api('PUT', `/projects/${projectId}/environments/${environmentId}/variables/RACE_KEY`, {
          token: owner.token,
          body: { value: 'v' },
        }),
        system.api('DELETE', `/projects/${projectId}/environments/${environmentId}?force=true`, { token: owner.token }),
      ],
      async ({ environmentId }, _put, deletion) => {
        expect(ok(deletion)).toBe(true);
        expect(await variablesOf(environmentId)).toBe(0);
      },
    );
  });

  it('an environment created while its project is deleted: nothing of the project is left', async () => {
    await race(
      async () => ({ projectId: await newProject() }),
      ({ projectId }) => [
        system.api('POST', `/projects/${projectId}/environments`, { token: owner.token, body: { name: 'late', type: 'staging' } }),
        system.api('DELETE', `/projects/${projectId}`, { token: owner.token }),
      ],
      async ({ projectId }, _create, deletion) => {
        expect(ok(deletion)).toBe(true);
        await checkProject(projectId);
      },
    );
  });

  it('two saves of one environment: each answer is what was stored by one of them', async () => {
    await race(
      projectWithStaging,
      ({ projectId, environmentId }) => [
        system.api('PUT', `/projects/${projectId}/environments/${environmentId}`, {
          token: owner.token,
          body: { description: 'first', color: '#111111' },
        }),
        system.api('PUT', `/projects/${projectId}/environments/${environmentId}`, {
          token: owner.token,
          body: { description: 'second', color: '#222222' },
        }),
      ],
      async ({ environmentId }, first, second) => {
        expect(ok(first) && ok(second)).toBe(true);
        const [row] = await sql<{ description: string; color: string }>(
          'select description, color from environments.environments where id = $1',
          [environmentId],
        );
        // Never a mix of the two saves.
        expect([
          { description: 'first', color: '#111111' },
          { description: 'second', color: '#222222' },
        ]).toContainEqual(row);
      },
    );
  });
});
