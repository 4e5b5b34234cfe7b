import { describe, expect, it } from 'vitest';
import { REST_OPERATIONS } from '../rest/router.js';
import { createSecretRouteMatcher } from './secret-routes.js';

describe('routes under the low rate limit', () => {
  const isSecret = createSecretRouteMatcher('/api/v1', REST_OPERATIONS.values());

  it('are the operations the contract marks, however the URL is spelled', () => {
    for (const url of [
      '/api/v1/auth/login',
      '/API/v1/auth/./Login/',
      '/api/v1/auth/register?x=1',
      '/api/v1/invites/ati_abc',
      '/api/v1/invites/ati_abc/accept/',
    ]) {
      expect(isSecret(url), url).toBe(true);
    }
  });

  it('are nothing else', () => {
    for (const url of [
      '/api/v1/projects',
      '/api/v1/auth/me',
      '/api/v1/me/invites',
      '/api/v1/invites/a/b/accept',
      '/api/v1/projects/x/invites',
    ]) {
      expect(isSecret(url), url).toBe(false);
    }
  });
});
