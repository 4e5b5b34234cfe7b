import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/** What a browser sends before a cross-origin POST with a credential and an idempotency key. */
function preflight(url: string, origin: string) {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,idempotency-key,x-request-id',
    },
  });
}

const register = (url: string, origin: string) =>
  fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `cors-${crypto.randomUUID()}@example.com`, password: 'correct horse battery' }),
  });

describe('with the defaults (no PUBLIC_URL, no CORS_ORIGINS)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(() => system?.stop());

  it('GET / leads to the docs', async () => {
    const response = await fetch(`${system.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/docs/');
  });

  it('serves the reference and its script from this host, under a strict CSP', async () => {
    const page = await fetch(`${system.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Atrium API</title>');
    // Nothing is loaded from another host: no CDN, no fonts, no telemetry.
    expect(html).not.toMatch(/https?:\/\//);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toContain('unsafe-eval');

    const script = await fetch(`${system.url}/docs/js/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    // Read to the end: a 5 MB answer left unread holds its connection busy, and the system's
    // stop (which lets every request in flight finish) would wait on it.
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  it('gives the document a relative server URL, so "Try it" calls whichever host served the page', async () => {
    const document = (await (await fetch(`${system.url}/api/v1/openapi.json`)).json()) as { servers: unknown };
    expect(document.servers).toEqual([{ url: '/api/v1' }]);
  });

  it('keeps CORS closed: a preflight is answered, but no origin is allowed', async () => {
    const answer = await preflight(`${system.url}/api/v1/auth/register`, 'http://localhost:8080');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const response = await register(system.url, 'http://localhost:8080');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('with PUBLIC_URL and CORS_ORIGINS', () => {
  const allowed = ['http://localhost:8080', 'http://127.0.0.1:8080'];
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ CORS_ORIGINS: allowed.join(','), PUBLIC_URL: 'https://api.example.com/' });
  });
  afterAll(() => system?.stop());

  it('writes PUBLIC_URL into the document and lets the page call it', async () => {
    const document = (await (await fetch(`${system.url}/api/v1/openapi.json`)).json()) as { servers: unknown };
    expect(document.servers).toEqual([{ url: 'https://api.example.com/api/v1' }]);
    const page = await fetch(`${system.url}/docs/`);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' https://api.example.com;");
  });

  for (const origin of allowed) {
    it(`answers the preflight and the request of ${origin}`, async () => {
      const answer = await preflight(`${system.url}/api/v1/auth/register`, origin);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      const allowedHeaders = answer.headers.get('access-control-allow-headers')?.split(/,\s*/) ?? [];
      for (const header of ['authorization', 'content-type', 'x-api-key', 'idempotency-key', 'x-request-id']) {
        expect(allowedHeaders).toContain(header);
      }
      expect(answer.headers.get('vary')).toMatch(/origin/i);

      const response = await register(system.url, origin);
      expect(response.status).toBe(201);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });
  }

  it('allows no other origin', async () => {
    const answer = await preflight(`${system.url}/api/v1/projects`, 'https://evil.example');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(`${system.url}/api/v1/projects`, { headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
