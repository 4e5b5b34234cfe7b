import { describe, expect, it } from 'vitest';
import { createMetrics, observedTransport, serveMetrics } from '../src/core.js';

describe("a service process's /metrics listener", () => {
  it('answers GET /metrics in Prometheus format, with the outcome of every outgoing call, and nothing else', async () => {
    const metrics = createMetrics();
    const transport = observedTransport(
      {
        call: async (call) => {
          if (call.path === 'projects.get') throw Object.assign(new Error('Project not found'), { code: 'NOT_FOUND' });
          return {};
        },
      },
      metrics,
    );
    await transport.call({ service: 'projects', path: 'projects.list', kind: 'query', input: {}, meta: { requestId: 'r1' } });
    await expect(
      transport.call({ service: 'projects', path: 'projects.get', kind: 'query', input: {}, meta: { requestId: 'r2' } }),
    ).rejects.toThrow();
    metrics.observeOutbox('projects', async () => ({ backlog: 3, setAside: 1 }));
    metrics.observeMailOutbox('identity', async () => ({ backlog: 2, setAside: 0 }));
    metrics.mailDeliveries.inc({ service: 'identity', outcome: 'failed' });

    const server = await serveMetrics(metrics, 0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('atrium_outgoing_call_duration_seconds_count{service="projects",operation="projects.list",outcome="OK"} 1');
      expect(text).toContain(
        'atrium_outgoing_call_duration_seconds_count{service="projects",operation="projects.get",outcome="NOT_FOUND"} 1',
      );
      expect(text).toContain('atrium_outbox_backlog{service="projects"} 3');
      expect(text).toContain('atrium_outbox_set_aside{service="projects"} 1');
      expect(text).toContain('atrium_mail_outbox_backlog{service="identity"} 2');
      expect(text).toContain('atrium_mail_outbox_set_aside{service="identity"} 0');
      expect(text).toContain('atrium_mail_deliveries_total{service="identity",outcome="failed"} 1');
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('answers the probes: /healthz always, /readyz 200 only while the process says it takes calls', async () => {
    let ready = false;
    const server = await serveMetrics(createMetrics(), 0, '127.0.0.1', () => ready);
    const probe = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: response.status, body: await response.json() };
    };
    try {
      expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await probe('/readyz')).toEqual({ status: 503, body: { status: 'not ready' } });
      ready = true;
      expect(await probe('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
      // Stopping: unready first, while the calls already taken are still being answered.
      ready = false;
      expect(await probe('/readyz')).toEqual({ status: 503, body: { status: 'not ready' } });
    } finally {
      await server.close();
    }
  });
});
