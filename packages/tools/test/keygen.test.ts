import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { natsServerBinary } from '@atrium/local-infra';
import { APP_NAMES } from '@atrium/contract';
import { generateNatsPassword } from '../src/nats-password.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The authorization `infra/` ships: each app's password is `$ATRIUM_<APP>_NATS_PASSWORD`, read by nats-server's variable substitution. */
const AUTHORIZATION = join(WORKSPACE_ROOT, 'infra/k8s/nats-authorization.conf');
const VARIABLES = [...APP_NAMES, 'client'].map((name) => `ATRIUM_${name.toUpperCase()}_NATS_PASSWORD`);
const run = promisify(execFile);

/** nats-server's own check (`-t`) of the shipped authorization with these passwords: undefined when valid, else why not. */
async function refusal(binary: string, passwords: Record<string, string>): Promise<string | undefined> {
  try {
    await run(binary, ['-t', '-c', AUTHORIZATION], { env: { ...process.env, ...passwords } });
    return undefined;
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return `${stderr}${stdout}`.trim();
  }
}

describe('NATS passwords', () => {
  // nats-server parses a variable's value as a configuration value: `8-xZ…` reads as a date (and
  // is refused), `1e5x` as a number, `true` as a boolean; one set in several failed to start.
  it('are read as strings by nats-server, in every one of 400 generated sets', async () => {
    const binary = natsServerBinary();
    const sets = Array.from({ length: 400 }, () => Object.fromEntries(VARIABLES.map((name) => [name, generateNatsPassword()])));
    // In bulk: every set's passwords as the users of one configuration, each through a variable of
    // its own, so one nats-server check reads them all the way the shipped file reads five.
    const dir = await mkdtemp(join(tmpdir(), 'atrium-passwords-'));
    try {
      const variables = sets.flatMap((set, i) => Object.values(set).map((password, j) => [`P_${i}_${j}`, password] as const));
      const users = variables.map(([name]) => `    { user: "${name.toLowerCase()}", password: $${name} }`).join('\n');
      await writeFile(join(dir, 'bulk.conf'), `authorization {\n  users: [\n${users}\n  ]\n}\n`);
      const bulk = await run(binary, ['-t', '-c', join(dir, 'bulk.conf')], {
        env: { ...process.env, ...Object.fromEntries(variables) },
      }).then(
        () => undefined,
        (error: { stdout: string; stderr: string }) => `${error.stderr}${error.stdout}`.trim(),
      );
      expect(bulk, 'a generated password nats-server does not read as a string').toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // And the first sets through the very file infra/ ships.
    for (const set of sets.slice(0, 8)) expect(await refusal(binary, set), JSON.stringify(set)).toBeUndefined();
  }, 120_000);

  it('`pnpm keygen --out` writes a nats.env that nats-server starts with', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atrium-keygen-'));
    try {
      await run('pnpm', ['keygen', '--out', dir], { cwd: WORKSPACE_ROOT });
      const written = await readFile(join(dir, 'nats.env'), 'utf8');
      const passwords = Object.fromEntries(
        written
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(Object.keys(passwords).sort()).toEqual([...VARIABLES].sort());
      expect(await refusal(natsServerBinary(), passwords)).toBeUndefined();
      // The same password in the app's own env file.
      expect(await readFile(join(dir, 'gateway.env'), 'utf8')).toContain(`NATS_PASSWORD=${passwords.ATRIUM_GATEWAY_NATS_PASSWORD}\n`);
      // The deployer (the deploy system): its own user, password and key, which environments trusts.
      const deployer = await readFile(join(dir, 'deployer.env'), 'utf8');
      expect(deployer).toContain('NATS_USER=deployer\n');
      expect(deployer).toContain(`NATS_PASSWORD=${passwords.ATRIUM_DEPLOYER_NATS_PASSWORD}\n`);
      expect(deployer).toMatch(/^ATRIUM_SIGNING_KEY=\S+$/m);
      const kid = /^ATRIUM_SIGNING_KEY_ID=(\S+)$/m.exec(deployer)?.[1];
      expect(await readFile(join(dir, 'environments.env'), 'utf8')).toContain(`deployer:${kid}:`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
