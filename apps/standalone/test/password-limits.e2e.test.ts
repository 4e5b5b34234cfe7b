import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  // Client addresses come from X-Forwarded-For, so each test has a budget of its own.
  system = await startTestSystem({ TRUST_PROXY: 'true', AUTH_RATE_LIMIT_PER_MINUTE: '20' });
});
afterAll(() => system?.stop());

const from = (address: string) => ({ 'x-forwarded-for': address });

// Each test hashes or verifies a dozen passwords (scrypt, slow on purpose): generous on a busy machine.
describe('every operation that verifies a password shares one limit', { timeout: 120_000 }, () => {
  it('per account: wrong current passwords on PUT /auth/me use up the budget sign-in uses too', async () => {
    const { token, email } = await newUser(system.api, 'guessed');
    // Each attempt from a different address: the per-address limit is not what stops this.
    const attempt = (i: number) =>
      system.api('PUT', '/auth/me', {
        token,
        headers: from(`10.1.0.${i}`),
        body: { password: 'new password!', current_password: `guess ${i}` },
      });
    for (let i = 0; i < 10; i += 1) expect((await attempt(i)).status).toBe(400);
    const limited = await attempt(10);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ success: false, error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/password/) } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same account cannot be signed into now, even with the right password, from anywhere.
    const login = await system.api('POST', '/auth/login', {
      headers: from('10.1.1.1'),
      body: { email, password: 'correct horse battery' },
    });
    expect(login.status).toBe(429);
    expect(login.body.error.code).toBe('TOO_MANY_REQUESTS');
    // The password did not change.
    expect((await system.api('GET', '/auth/me', { token })).status).toBe(200);
  });

  it('per account, for an e-mail nobody registered as for one somebody did', async () => {
    const attempt = (i: number) =>
      system.api('POST', '/auth/login', { headers: from(`10.2.0.${i}`), body: { email: 'ghost@example.com', password: 'guess guess' } });
    for (let i = 0; i < 10; i += 1) expect((await attempt(i)).status).toBe(401);
    expect((await attempt(10)).status).toBe(429);
  });

  it('per address: PUT /auth/me counts against the sign-in budget, as the contract declares', async () => {
    const address = from('10.3.0.1');
    const { token } = await newUser(system.api, 'renamer');
    const login = () =>
      system.api('POST', '/auth/login', { headers: address, body: { email: 'nobody-3@example.com', password: 'guess guess' } });
    const rename = () => system.api('PUT', '/auth/me', { token, headers: address, body: { name: 'n' } });
    for (let i = 0; i < 10; i += 1) expect((await login()).status).toBe(401);
    for (let i = 0; i < 10; i += 1) expect((await rename()).status).toBe(200);
    const limited = await rename();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reading is not a password operation: its own budget.
    expect((await system.api('GET', '/auth/me', { token, headers: address })).status).toBe(200);
  });
});
