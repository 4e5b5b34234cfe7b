import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '@atrium/telemetry/sdk';
import type { Tracing } from '@atrium/telemetry/sdk';
import { SPAN_KIND, startOtlpReceiver } from './support/otlp-receiver.js';
import type { ReceivedSpan } from './support/otlp-receiver.js';
import { newUser, startInProcessTestSystem, startTestSystem } from './support/system.js';
import type { ApiSystem, TestSystem } from './support/system.js';

/**
 * OpenTelemetry tracing in the deployed shape (each service on its own NATS connection), its
 * spans exported over OTLP/HTTP (JSON) to a receiver standing in for a collector. The services
 * share this process, hence one tracer provider: spans tell their service by their attributes.
 */
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let tracing: Tracing | undefined;
let system: TestSystem;

/** What the SDK reads from the environment (some of it at each export), restored once the file is done: the worker runs others after it. */
const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_BSP_SCHEDULE_DELAY'] as const;
const envBefore = Object.fromEntries(OTEL_ENV.map((key) => [key, process.env[key]]));

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  // Exported in batches every 50 ms, not every 5 s.
  process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  tracing = await startTracing({ serviceName: 'atrium-test' });
  system = await startTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
});

afterAll(async () => {
  await system?.stop();
  await tracing?.stop();
  await receiver?.stop();
  for (const [key, value] of Object.entries(envBefore)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const PG_SCOPE = '@opentelemetry/instrumentation-pg';

/** The span's ancestors, nearest first, as far as the trace has them. */
function ancestors(span: ReceivedSpan, trace: readonly ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(trace.map((candidate) => [candidate.spanId, candidate]));
  const chain: ReceivedSpan[] = [];
  for (
    let parent = span.parentSpanId && byId.get(span.parentSpanId);
    parent;
    parent = parent.parentSpanId && byId.get(parent.parentSpanId)
  ) {
    chain.push(parent);
  }
  return chain;
}

describe('tracing', () => {
  it('is on: the SDK started from OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(tracing).toBeDefined();
  });

  it('follows POST /api/v1/projects through the gateway, projects, environments and PostgreSQL in one trace, and the audit consumer links to it', async () => {
    const owner = await newUser(system.api, 'traced');
    const created = await system.api('POST', '/projects', { token: owner.token, body: { name: 'traced' } });
    expect(created.status, created.text).toBe(201);
    const requestId = created.headers.get('x-request-id');

    // The gateway's span of the request: a root, named by the route.
    const requestSpan = () =>
      receiver.spans.find((span) => span.scope === '@atrium/gateway' && span.attributes['atrium.request_id'] === requestId);
    await expect.poll(requestSpan, { timeout: 10_000 }).toBeDefined();
    const request = requestSpan()!;
    expect(request).toMatchObject({
      name: 'POST /api/v1/projects',
      scope: '@atrium/gateway',
      service: 'atrium-test',
      attributes: { 'http.request.method': 'POST', 'http.route': '/api/v1/projects', 'http.response.status_code': 201 },
    });
    expect(request.parentSpanId).toBeUndefined();

    const handlerOf = (service: string, trace: readonly ReceivedSpan[]) =>
      trace.find((span) => span.kind === SPAN_KIND.server && span.attributes['rpc.service'] === service);
    // Every span of the request arrives: the services', the statements', the event's publishing.
    await expect
      .poll(
        () => {
          const trace = receiver.trace(request.traceId);
          const projects = handlerOf('projects', trace);
          const environments = handlerOf('environments', trace);
          return {
            projects: projects?.name,
            environments: environments?.name,
            projectsSql: trace.some((span) => span.scope === PG_SCOPE && projects && ancestors(span, trace).includes(projects)),
            environmentsSql: trace.some((span) => span.scope === PG_SCOPE && environments && ancestors(span, trace).includes(environments)),
            published: trace.some((span) => span.kind === SPAN_KIND.producer && span.name === 'publish projects.v1.created'),
          };
        },
        { timeout: 10_000 },
      )
      .toEqual({
        projects: 'projects/projects.create',
        environments: expect.stringMatching(/^environments\//),
        projectsSql: true,
        environmentsSql: true,
        published: true,
      });

    const trace = receiver.trace(request.traceId);
    // One tree: every span descends from the request's.
    for (const span of trace) if (span !== request) expect(ancestors(span, trace), span.name).toContain(request);
    // Each service's span is the child of its caller's client span, whose context the NATS headers carried.
    for (const service of ['projects', 'environments']) {
      const handler = handlerOf(service, trace)!;
      const caller = trace.find((span) => span.spanId === handler.parentSpanId);
      expect(caller, service).toMatchObject({ kind: SPAN_KIND.client, scope: '@atrium/nats-trpc', attributes: { 'rpc.service': service } });
    }
    // The environments call is made by projects' handler.
    expect(ancestors(handlerOf('environments', trace)!, trace)).toContain(handlerOf('projects', trace));
    // SQL spans say what ran, without the values.
    const statement = trace.find(
      (span) =>
        span.scope === PG_SCOPE && /insert/i.test(String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '')),
    );
    expect(statement, 'an insert statement').toBeDefined();
    expect(JSON.stringify(statement!.attributes)).not.toContain('traced');

    // The relay published the event in a span of this trace, a child of the handler that recorded it…
    const publish = trace.find((span) => span.kind === SPAN_KIND.producer && span.name === 'publish projects.v1.created')!;
    expect(ancestors(publish, trace)).toContain(handlerOf('projects', trace));
    // …and the audit consumer's span, a trace of its own, links to it.
    const auditSpan = () =>
      receiver.spans.find((span) => span.name === 'process projects_audit' && span.links.some((link) => link.spanId === publish.spanId));
    await expect.poll(auditSpan, { timeout: 10_000 }).toBeDefined();
    const audit = auditSpan()!;
    expect(audit.kind).toBe(SPAN_KIND.consumer);
    expect(audit.traceId).not.toBe(request.traceId);
    expect(audit.links).toContainEqual({ traceId: request.traceId, spanId: publish.spanId });
    // Its transaction's statements are inside it.
    await expect
      .poll(() => receiver.trace(audit.traceId).some((span) => span.scope === PG_SCOPE && span.parentSpanId === audit.spanId), {
        timeout: 10_000,
      })
      .toBe(true);
  });

  it('leaves probes untraced: /readyz makes no span and its calls start no trace', async () => {
    const response = await fetch(`${system.url}/readyz`);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    // Another request after it, traced: once its span is in, the probe's would be too.
    const after = await system.api('GET', '/openapi.json');
    const afterId = after.headers.get('x-request-id');
    await expect
      .poll(() => receiver.spans.some((span) => span.attributes['atrium.request_id'] === afterId), { timeout: 10_000 })
      .toBe(true);
    expect(
      receiver.spans.filter(
        (span) => span.attributes['atrium.request_id'] === requestId || span.attributes['atrium.request_id'] === 'readyz',
      ),
    ).toEqual([]);
  });
});

describe('tracing in the one-process mode without NATS', () => {
  let inProcess: ApiSystem;
  beforeAll(async () => {
    inProcess = await startInProcessTestSystem({ AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await inProcess?.stop();
  });

  it("has no hop, so no client spans: each service's span is the child of its caller's own", async () => {
    const owner = await newUser(inProcess.api, 'in-process');
    const created = await inProcess.api('POST', '/projects', { token: owner.token, body: { name: 'in-process' } });
    expect(created.status, created.text).toBe(201);
    const requestId = created.headers.get('x-request-id');
    const requestSpan = () =>
      receiver.spans.find((span) => span.scope === '@atrium/gateway' && span.attributes['atrium.request_id'] === requestId);
    await expect.poll(requestSpan, { timeout: 10_000 }).toBeDefined();
    const request = requestSpan()!;
    const handlerOf = (service: string) =>
      receiver.trace(request.traceId).find((span) => span.kind === SPAN_KIND.server && span.attributes['rpc.service'] === service);
    await expect
      .poll(() => ({ projects: handlerOf('projects')?.name, environments: handlerOf('environments')?.name }), { timeout: 10_000 })
      .toEqual({ projects: 'projects/projects.create', environments: expect.stringMatching(/^environments\//) });
    const trace = receiver.trace(request.traceId);
    expect(trace.filter((span) => span.kind === SPAN_KIND.client && span.scope === '@atrium/nats-trpc')).toEqual([]);
    expect(ancestors(handlerOf('environments')!, trace)).toEqual(expect.arrayContaining([handlerOf('projects'), request]));
    await expect
      .poll(
        () =>
          receiver
            .trace(request.traceId)
            .some((span) => span.scope === PG_SCOPE && ancestors(span, trace).includes(handlerOf('projects')!)),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
  });
});
