import { describe, expect, it } from 'vitest';
import { REST_OPERATIONS } from '../rest/router.js';
import { createUrlDescriber } from './request-log.js';

describe('the URL a request is logged under', () => {
  const describeUrl = createUrlDescriber('/api/v1', REST_OPERATIONS.values());

  it('is the operation template and the query parameter names, never their values', () => {
    expect(describeUrl('GET', '/api/v1/projects/1234?x=secret', '/api/v1/*')).toEqual({ url: '/api/v1/projects/{id}', query: ['x'] });
    expect(describeUrl('HEAD', '/API/v1/Projects/?cursor=c&limit=2&limit=3', '/api/v1/*')).toEqual({
      url: '/api/v1/projects',
      query: ['cursor', 'limit'],
    });
    expect(describeUrl('DELETE', '/api/v1/projects/1234', '/api/v1/*')).toEqual({ url: '/api/v1/projects/{id}' });
  });

  it('is the route pattern outside the operations, and nothing of a path that matches no route', () => {
    expect(describeUrl('GET', '/healthz', '/healthz')).toEqual({ url: '/healthz' });
    expect(describeUrl('GET', '/docs/secret.js', '/docs/*')).toEqual({ url: '/docs/*' });
    expect(describeUrl('GET', '/api/v1/no-such-thing/secret-token', '/api/v1/*')).toEqual({ url: '(no route)' });
    // An invite's token is in its path: only the template is logged.
    expect(describeUrl('GET', '/api/v1/invites/ati_secret-token', '/api/v1/*')).toEqual({ url: '/api/v1/invites/{token}' });
    expect(describeUrl('GET', '/secret', undefined)).toEqual({ url: '(no route)' });
  });
});
