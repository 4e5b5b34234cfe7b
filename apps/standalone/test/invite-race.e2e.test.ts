import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => system?.stop());

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);

const ROUNDS = 30;

describe('an invite accepted while it is cancelled', { timeout: 300_000 }, () => {
  it('ends either accepted with a membership or cancelled without one, never both', async () => {
    const { api } = system;
    const owner = await newUser(api, 'owner');
    const created = await api('POST', '/projects', { token: owner.token, body: { name: `race-${randomUUID().slice(0, 8)}` } });
    expect(created.status, created.text).toBe(201);
    const projectId = created.body.data.id as string;
    const outcomes = { accepted: 0, cancelled: 0 };

    for (let round = 0; round < ROUNDS; round += 1) {
      const invitee = await newUser(api, `invitee${round}`);
      const invited = await api('POST', `/projects/${projectId}/invites`, {
        token: owner.token,
        body: { email: invitee.email, role: 'admin' },
      });
      expect(invited.status, invited.text).toBe(201);
      const { id, token } = invited.body.data as { id: string; token: string };

      const [accept, cancel] = await Promise.all([
        api('POST', `/invites/${token}/accept`, { token: invitee.token }),
        api('DELETE', `/projects/${projectId}/invites/${id}`, { token: owner.token }),
      ]);
      const context = `round ${round}: accept ${accept.status} ${accept.text}; cancel ${cancel.status} ${cancel.text}`;
      // Exactly one of them succeeded; the other was refused as a conflict or as gone.
      expect([accept.status === 200, cancel.status === 204].filter(Boolean), context).toHaveLength(1);
      const loser = accept.status === 200 ? cancel.status : accept.status;
      expect([409, 410], context).toContain(loser);

      const status = (await api('GET', `/invites/${token}`)).body.data.status as string;
      const members = await sql('select role from projects.members where project_id = $1 and user_id = $2', [projectId, invitee.id]);
      if (accept.status === 200) {
        expect(status, context).toBe('accepted');
        expect(members, context).toEqual([{ role: 'admin' }]);
        outcomes.accepted += 1;
      } else {
        // Cancelled, and the invitee is no member: not through this invite, not at all.
        expect(status, context).toBe('cancelled');
        expect(members, context).toEqual([]);
        outcomes.cancelled += 1;
      }
      expect(await sql('select status from identity.invites where id = $1', [id]), context).toEqual([{ status }]);
    }
    expect(outcomes.accepted + outcomes.cancelled).toBe(ROUNDS);

    // Every member came through an accepted invite (or is the owner); every accepted invite made one.
    const members = await sql<{ user_id: string }>('select user_id from projects.members where project_id = $1 and role <> $2', [
      projectId,
      'owner',
    ]);
    const accepted = await sql<{ email: string }>(`select email from identity.invites where project_id = $1 and status = 'accepted'`, [
      projectId,
    ]);
    const emails = await sql<{ email: string }>('select email from identity.users where id = any($1::uuid[])', [
      members.map((member) => member.user_id),
    ]);
    expect(emails.map((row) => row.email).sort()).toEqual(accepted.map((row) => row.email).sort());
  });
});
