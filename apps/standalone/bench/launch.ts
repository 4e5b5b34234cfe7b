/**
 * Starting what the bench measures, each as its own OS process so its CPU time can be read:
 * a process that dies during start-up fails the bench at once with its last output lines
 * (the apps log their fatal line on stdout), never after a time-out with nothing said.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Launched {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last lines it printed (stdout and stderr). */
  output(): string;
  /** Resolves when it has exited; rejects from the moment it exits while `expectRunning` holds. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit (the apps stop gracefully and write their CPU profiles). */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--cpu-prof` into this folder (BENCH_PROFILE). */
  profileDir?: string;
}

/** `node <args>` with the options; Node itself is the process measured (no pnpm or shell in between). */
export function launchNode(name: string, args: string[], options: LaunchOptions): Launched {
  const flags: string[] = [];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`);
  }
  return launch(name, process.execPath, [...flags, ...args], options.cwd, options.env);
}

export function launch(name: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Launched {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const collect = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Nothing may stay behind when the bench itself ends, however it ends.
  const killOnExit = () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killOnExit);
  return {
    name,
    child,
    pid: child.pid!,
    output: () => text,
    exited,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `check` until it holds; fails as soon as one of `watched` exits, quoting its output,
 * or after `timeoutMs`. Polling is the only way to see a port come up; it is not a fixed sleep.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, watched: Launched[], timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  let failed: Launched | undefined;
  for (const launched of watched) void launched.exited.then(() => (failed ??= launched));
  while (performance.now() - started < timeoutMs) {
    if (failed) throw new Error(`${failed.name} exited (code ${failed.child.exitCode}) before ${what}:\n${failed.output()}`);
    if (await check().catch(() => false)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const outputs = watched.map((launched) => `--- ${launched.name}\n${launched.output()}`).join('\n');
  throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${outputs}`);
}

export const appDir = (app: string) => join(WORKSPACE_ROOT, 'apps', app);

/**
 * The node flags an app is deployed with, read off its `start` script (`node <flags> …`), so
 * the bench runs each app as it runs in production (the image's CMD has the same flags).
 */
export function deployedNodeFlags(app: string): string[] {
  const manifest = JSON.parse(readFileSync(join(appDir(app), 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const [command, ...args] = (manifest.scripts?.start ?? '').split(/\s+/);
  if (command !== 'node') throw new Error(`${app}'s start script does not run node: ${manifest.scripts?.start}`);
  return args.filter((arg) => arg.startsWith('--'));
}
