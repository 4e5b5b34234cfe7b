import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * @atrium/client as someone outside this repository gets it: built (`pnpm build`), packed with
 * its workspace dependencies (`pnpm pack`, which swaps `workspace:*` and `catalog:` for versions
 * and applies `publishConfig`), installed with npm into a project of its own in the system's
 * temporary folder, type-checked there with the repository's TypeScript and run with node
 * against a running stack. Slow (a build when turbo's cache misses, an npm install).
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// nats-trpc traces its calls through @atrium/telemetry, so it is packed beside them.
const PACKED = ['contract', 'telemetry', 'nats-trpc', 'client'];
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
/** This workspace's @types (node's): the snippet reads process.env, as any service does. */
const TYPE_ROOTS = dirname(dirname(require.resolve('@types/node/package.json')));

const CONSUMER = `
import { AtriumError, connectAtrium } from '@atrium/client';
import type { AtriumClient, AtriumErrorCode, CallOptions } from '@atrium/client';

const atrium = await connectAtrium({
  servers: process.env.NATS_URL ?? '',
  pass: process.env.ATRIUM_CLIENT_NATS_PASSWORD,
  credential: process.env.ATRIUM_API_KEY ?? '',
  timeoutMs: 20_000,
});
const codeOf = (error: unknown): AtriumErrorCode | 'not an AtriumError' =>
  error instanceof AtriumError ? error.code : 'not an AtriumError';
try {
  const me = await atrium.auth.me({});
  const options: CallOptions = { idempotencyKey: 'packed-' + Date.now(), timeoutMs: 15_000 };
  const project = await atrium.projects.create({ name: 'packed-' + Date.now().toString(36), color: '#3B82F6' }, options);
  const again = await atrium.projects.create({ name: project.name, color: '#3B82F6' }, options);
  const name: string = (await atrium.projects.get({ id: project.id })).name;
  const missing = await atrium.projects.get({ id: crypto.randomUUID() }).catch(codeOf);
  const aborted = await atrium.projects.list({}, { signal: AbortSignal.abort() }).catch(codeOf);
  // @ts-expect-error internal operations are not in the client's type
  const internal: AtriumClient['memberships'] = undefined;
  // @ts-expect-error inputs are typed: a project's name is a string
  const typed = () => atrium.projects.create({ name: 42 });
  // @ts-expect-error outputs are typed: a project's id is a string
  const id: number = project.id;
  void id;
  void internal;
  void typed;
  console.log(JSON.stringify({ user: me.email, name, repeated: again.id === project.id, missing, aborted }));
} finally {
  await atrium.close();
}
await connectAtrium({ servers: 'nats://127.0.0.1:1', credential: 'x', timeoutMs: 1000 }).catch((error: unknown) => {
  console.log(JSON.stringify({ noBroker: codeOf(error) }));
});
`;

let system: TestSystem;
let apiKey: string;
let email: string;
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'atrium-client-consumer-'));
  system = await startTestSystem();
  const user = await newUser(system.api, 'packed');
  email = user.email;
  const created = await system.api('POST', '/auth/api-keys', { token: user.token, body: { name: 'packed client' } });
  apiKey = created.body.data.key;
});
afterAll(async () => {
  await system?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('@atrium/client as a package', () => {
  it('packs, installs outside the workspace, type-checks and runs against the stack', { timeout: 240_000 }, async () => {
    // What `pnpm build` does for these packages (turbo, so a cached build is reused).
    await run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@atrium/client', '--output-logs=errors-only'], { cwd: ROOT });
    const tarballs = join(scratch, 'tarballs');
    for (const name of PACKED) {
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', name) });
    }
    const packed = (await readdir(tarballs)).map((file) => join(tarballs, file));
    expect(packed).toHaveLength(PACKED.length);

    const project = join(scratch, 'consumer');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...packed], { cwd: project });

    // What was installed: compiled JavaScript and declarations, versions instead of workspace links.
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@atrium/client/package.json'), 'utf8'));
    expect(installed).not.toHaveProperty('private');
    expect(installed.dependencies['@atrium/contract']).toBe(installed.version);
    expect(installed.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    for (const name of PACKED) {
      expect(await readdir(join(project, 'node_modules/@atrium', name))).not.toContain('src');
    }

    await writeFile(join(project, 'main.ts'), CONSUMER);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          // As the workspace and most projects do: @trpc/client's declarations assume the DOM lib.
          // The @ts-expect-error lines show the client's own types resolve (an `any` would fail them).
          skipLibCheck: true,
          typeRoots: [TYPE_ROOTS],
          types: ['node'],
          outDir: 'dist',
        },
        files: ['main.ts'],
      }),
    );
    const checked = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project }).catch((error: { stdout: string }) => error);
    expect(checked.stdout).toBe('');

    const { stdout } = await run(process.execPath, [join(project, 'dist/main.js')], {
      cwd: project,
      env: {
        ...process.env,
        NATS_URL: system.natsUrl,
        ATRIUM_CLIENT_NATS_PASSWORD: system.natsCredentials.client?.password,
        ATRIUM_API_KEY: apiKey,
      },
    });
    const [result, noBroker] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(result).toEqual({
      user: email,
      name: expect.stringMatching(/^packed-/),
      repeated: true,
      missing: 'NOT_FOUND',
      aborted: 'ABORTED',
    });
    expect(noBroker).toEqual({ noBroker: 'SERVICE_UNAVAILABLE' });
  });
});
