import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.stop());

/** The value of one sample in Prometheus's text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2]!.split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts requests per operation and status, calls per service and outcome, and the outbox', async () => {
    const { token } = await newUser(system.api, 'metrics');
    expect((await system.api('POST', '/projects', { token, body: { name: 'counted' } })).status).toBe(201);
    expect((await system.api('GET', '/projects/00000000-0000-4000-8000-000000000000', { token })).status).toBe(404);

    const response = await fetch(`${system.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();

    const created = { operation: 'projects.projects.create', method: 'POST', status: '201' };
    expect(sample(text, 'atrium_http_request_duration_seconds_count', created)).toBe(1);
    expect(sample(text, 'atrium_http_request_duration_seconds_bucket', { ...created, le: '+Inf' })).toBe(1);
    expect(sample(text, 'atrium_http_request_duration_seconds_count', { operation: 'projects.projects.get', status: '404' })).toBe(1);
    // The service's side of the same calls, and the gateway's NATS calls with their outcomes.
    expect(
      sample(text, 'atrium_service_call_duration_seconds_count', { service: 'projects', operation: 'projects.create', outcome: 'OK' }),
    ).toBe(1);
    expect(
      sample(text, 'atrium_service_call_duration_seconds_count', { service: 'projects', operation: 'projects.get', outcome: 'NOT_FOUND' }),
    ).toBe(1);
    expect(
      sample(text, 'atrium_outgoing_call_duration_seconds_count', { service: 'projects', operation: 'projects.create', outcome: 'OK' }),
    ).toBe(1);
    expect(
      sample(text, 'atrium_outgoing_call_duration_seconds_count', { service: 'projects', operation: 'projects.get', outcome: 'NOT_FOUND' }),
    ).toBe(1);
    // Read from the outbox table at scrape time.
    expect(sample(text, 'atrium_outbox_backlog', { service: 'projects' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'atrium_outbox_set_aside', { service: 'projects' })).toBe(0);
  });
});
