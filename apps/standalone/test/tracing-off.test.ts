import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const STANDALONE = fileURLToPath(new URL('..', import.meta.url));

/** The SDK, its exporters and instrumentations: what tracing loads, and nothing may while it is off. */
const SDK = ['@opentelemetry/sdk-', '@opentelemetry/exporter-', '@opentelemetry/instrumentation'];

/**
 * Starts tracing as main.ts does, then loads the whole system, in a process whose resolve hook
 * refuses the SDK's modules (a module graph that reaches one fails), with `env` as its OTEL_*.
 */
function startWith(env: Record<string, string>) {
  const refuse = `data:text/javascript,const refused = ${JSON.stringify(SDK)}; export async function resolve(s, c, next) { if (refused.some((r) => s.startsWith(r))) throw new Error('loaded ' + s); return next(s, c); }`;
  const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(refuse)});`;
  const script = `
    const { startTracing } = await import('@atrium/telemetry/sdk');
    const { tracingOn } = await import('@atrium/telemetry');
    const tracing = await startTracing({ serviceName: 'atrium' });
    await import('./src/system.ts');
    console.log(JSON.stringify({ started: tracing !== undefined, on: tracingOn() }));`;
  const args = ['--conditions=@atrium/source', '--import', 'tsx', '--import', register, '--input-type=module', '-e', script];
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return spawnSync(process.execPath, args, { cwd: STANDALONE, encoding: 'utf8', env: { ...inherited, ...env } });
}

describe('tracing while off', () => {
  it('loads none of the SDK without OTEL_EXPORTER_OTLP_ENDPOINT (the whole system imported)', () => {
    const run = startWith({});
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ started: false, on: false });
  }, 60_000);

  it('loads it once an endpoint is set (the check above would see it)', () => {
    expect(startWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }).stderr).toMatch(
      /loaded @opentelemetry\/(sdk-|instrumentation)/,
    );
  }, 60_000);
});
