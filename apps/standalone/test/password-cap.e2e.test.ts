import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAtrium } from '@atrium/client';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  // No per-address limit: the per-account cap alone is under test.
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => system?.stop());

/** The account's budget of failed verifications (MAX_PASSWORD_FAILURES). */
const CAP = 10;
const PARALLEL = 40;

function tally(codes: (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

// Many password verifications at once (scrypt): generous on a busy machine.
describe('the per-account password cap under parallel attempts', { timeout: 180_000 }, () => {
  it('over REST: of 40 parallel wrong sign-ins, exactly the cap are verified (401), the rest refused (429)', async () => {
    const { email } = await newUser(system.api, 'parallel');
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => system.api('POST', '/auth/login', { body: { email, password: `wrong guess ${i}` } })),
    );
    expect(tally(answers.map((answer) => answer.status))).toEqual({ 401: CAP, 429: PARALLEL - CAP });
    // The right password is refused too while the budget is spent.
    expect((await system.api('POST', '/auth/login', { body: { email, password: 'correct horse battery' } })).status).toBe(429);
  });

  it('over NATS: a client is held to the same per-account cap (NATS has no per-address limit)', async () => {
    const caller = await newUser(system.api, 'nats-caller');
    const target = await newUser(system.api, 'nats-target');
    const atrium = await connectAtrium({
      servers: system.natsUrl,
      pass: system.natsCredentials.client?.password,
      credential: caller.token,
      timeoutMs: 60_000,
    });
    try {
      const codes = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          atrium.auth.login({ email: target.email, password: `wrong guess ${i}` }).then(
            () => 'OK',
            (error: { code?: string }) => error.code ?? String(error),
          ),
        ),
      );
      expect(tally(codes)).toEqual({ UNAUTHORIZED: CAP, TOO_MANY_REQUESTS: PARALLEL - CAP });
      // Through REST the account is locked as well: one budget, whoever calls.
      const login = await system.api('POST', '/auth/login', { body: { email: target.email, password: 'correct horse battery' } });
      expect(login.status).toBe(429);
    } finally {
      await atrium.close();
    }
  });
});
