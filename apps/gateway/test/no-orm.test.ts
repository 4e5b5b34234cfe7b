import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GATEWAY = fileURLToPath(new URL('..', import.meta.url));

// A resolve hook that refuses MikroORM: a module graph that reaches it fails to load.
const refuseOrm =
  "data:text/javascript,export async function resolve(s, c, next) { if (s.startsWith('@mikro-orm/')) throw new Error('loaded ' + s); return next(s, c); }";
const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(refuseOrm)});`;

function load(specifier: string) {
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
  return spawnSync(process.execPath, args, { cwd: GATEWAY, encoding: 'utf8' });
}

describe('the gateway', () => {
  it('loads without MikroORM (it has no database), which the services need', () => {
    const gateway = load('./src/index.ts');
    expect(gateway.stderr).toBe('');
    expect(gateway.status).toBe(0);
    // The same check catches the ORM where it is loaded.
    expect(load('@atrium/service-runtime').stderr).toMatch(/loaded @mikro-orm\//);
  }, 60_000);
});
