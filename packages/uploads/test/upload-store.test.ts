import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '@atrium/local-infra';
import { folderUploadStore, natsUploadStore } from '@atrium/uploads';
import type { UploadStore } from '@atrium/uploads';

/** Both stores behind `UploadStore` behave alike: the embedded mode runs the same code as a cluster. */
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let nc: NatsConnection;
let folder: string;
const stores: Record<string, () => Promise<UploadStore>> = {
  'NATS object store': () => natsUploadStore(nc, { bucket: `store-${randomUUID().slice(0, 8)}` }),
  folder: async () => folderUploadStore(join(folder, randomUUID())),
};

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  folder = await mkdtemp(join(tmpdir(), 'atrium-uploads-'));
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe.each(Object.keys(stores))('the %s upload store', (kind) => {
  it('stores, reads, lists and removes files by name', async () => {
    const store = await stores[kind]!();
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    expect(await store.read('projects/a/b.png')).toBeNull();
    expect(await store.has('projects/a/b.png')).toBe(false);
    await store.put('projects/a/b.png', bytes);
    await store.put('projects/a/c.gif', new Uint8Array([1, 2, 3]));
    expect(await store.read('projects/a/b.png')).toEqual(bytes);
    expect(await store.has('projects/a/b.png')).toBe(true);
    expect((await store.list()).sort()).toEqual(['projects/a/b.png', 'projects/a/c.gif']);
    await store.remove('projects/a/b.png');
    await store.remove('projects/a/b.png');
    expect(await store.read('projects/a/b.png')).toBeNull();
    expect(await store.has('projects/a/b.png')).toBe(false);
    expect(await store.list()).toEqual(['projects/a/c.gif']);
  });

  it('refuses names that could climb out of their folder', async () => {
    const store = await stores[kind]!();
    for (const name of ['../x.png', 'projects/../../x', '/etc/passwd', 'a//b', '', 'a/./b', 'a\\b']) {
      await expect(store.put(name, new Uint8Array([1])), name).rejects.toThrow(/Invalid upload name/);
    }
  });
});
