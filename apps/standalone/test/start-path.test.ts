import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const STANDALONE = fileURLToPath(new URL('..', import.meta.url));

/** What the rest of Atrium loads and the configuration check must not: most of start-up's CPU. */
const HEAVY = ['@mikro-orm/', 'fastify', '@fastify/', '@nats-io/', '@trpc/', 'trpc-to-openapi', 'knex'];

/** Loads `specifier` in a process whose resolve hook refuses `refused`: a module graph that reaches one fails to load. */
function load(specifier: string, refused = HEAVY) {
  const refuse = `data:text/javascript,const refused = ${JSON.stringify(refused)}; export async function resolve(s, c, next) { if (refused.some((r) => s.startsWith(r))) throw new Error('loaded ' + s); return next(s, c); }`;
  const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(refuse)});`;
  const args = [
    '--conditions=@atrium/source',
    '--import',
    'tsx',
    '--import',
    register,
    '--input-type=module',
    '-e',
    `await import('${specifier}')`,
  ];
  return spawnSync(process.execPath, args, { cwd: STANDALONE, encoding: 'utf8' });
}

describe('pnpm start', () => {
  it('checks its configuration and starts PostgreSQL with none of the modules the rest loads meanwhile', () => {
    // main.ts: the settings, then preflight (checks, then the embedded PostgreSQL set starting).
    for (const module of ['./src/env.ts', './src/preflight.ts']) {
      const loaded = load(module);
      expect(loaded.stderr, module).toBe('');
      expect(loaded.status, module).toBe(0);
    }
    // The same check catches them where they are loaded.
    expect(load('./src/system.ts').stderr).toMatch(/loaded (@mikro-orm|fastify|@fastify|@nats-io|@trpc|trpc-to-openapi|knex)/);
  }, 60_000);

  it('without a broker loads no NATS client (only a NATS_URL start imports it)', () => {
    const loaded = load('./src/system.ts', ['@nats-io/']);
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
    expect(load('@atrium/nats-trpc/nats-transport', ['@nats-io/']).stderr).toMatch(/loaded @nats-io\//);
  }, 60_000);
});
