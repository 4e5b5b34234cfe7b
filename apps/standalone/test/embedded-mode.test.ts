import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@atrium/test-kit';
import { png } from './support/images.js';
import { apiClient } from './support/system.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The newcomer path: `pnpm start` at the workspace root with no DATABASE_URL and no NATS_URL —
 * embedded PostgreSQL, routers linked in process — then a real request. EMBEDDED_NATS=false
 * stands for a machine without nats-server (where one is found, the default also starts a
 * broker: client-embedded-nats.e2e.test.ts, signals.test.ts).
 */
describe('pnpm start with no database and no broker', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: string;
  let output = '';

  beforeAll(async () => {
    // Private (0700), as a clone in root's home is: as root, PostgreSQL runs as the postgres
    // user, who cannot enter it, and the cluster lives elsewhere behind a symbolic link.
    dataDir = await mkdtemp(join(tmpdir(), 'atrium-embedded-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      EMBEDDED_NATS: 'false',
    };
    delete env.DATABASE_URL;
    delete env.NATS_URL;
    child = spawn('pnpm', ['start'], { cwd: WORKSPACE_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));

    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`pnpm start exited early:\n${output}`);
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      // The start-up line is written just after the server listens: under load /readyz can answer first.
      if (ready && /"transport":/.test(output)) break;
      if (Date.now() > deadline) throw new Error(`not ready after 90 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 120_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    if (dataDir) {
      const cluster = await realpath(join(dataDir, 'postgres')).catch(() => undefined);
      if (cluster) await rm(cluster, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('serves the API on embedded defaults', async () => {
    expect(output).toMatch(/"database":"embedded","transport":"in-process"/);
    const api = apiClient(url);
    const registered = await api('POST', '/auth/register', { body: { email: 'newcomer@example.com', password: 'first-steps' } });
    expect(registered.status).toBe(201);
    const created = await api('POST', '/projects', { token: registered.body.data.token, body: { name: 'hello-atrium' } });
    expect(created.status).toBe(201);
    const listed = await api('GET', '/projects', { token: registered.body.data.token });
    expect(listed.body.data.map((p: { name: string }) => p.name)).toEqual(['hello-atrium']);
  });

  it('keeps icons in a folder under DATA_DIR, on the same upload and serving code', async () => {
    const api = apiClient(url);
    const { token } = (await api('POST', '/auth/login', { body: { email: 'newcomer@example.com', password: 'first-steps' } })).body.data;
    const project = (await api('GET', '/projects', { token })).body.data[0];
    const form = new FormData();
    form.append('file', new Blob([png()]), 'icon.png');
    const uploaded = await fetch(`${url}/api/v1/projects/${project.id}/icon`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(uploaded.status).toBe(200);
    const { icon_path: iconPath } = ((await uploaded.json()) as { data: { icon_path: string } }).data;
    const served = await fetch(`${url}${iconPath}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(png());
    expect(await readFile(join(dataDir, iconPath))).toEqual(png());
  });
});
