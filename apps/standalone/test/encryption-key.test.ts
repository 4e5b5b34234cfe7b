import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEncryptionKey } from '../src/encryption-key.js';

describe('the key sealing secret variables', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atrium-key-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is generated once in the embedded mode, kept private in DATA_DIR, and the same on every start', async () => {
    const first = resolveEncryptionKey({ DATA_DIR: dir });
    expect(Buffer.from(first, 'base64')).toHaveLength(32);
    expect(resolveEncryptionKey({ DATA_DIR: dir })).toBe(first);
    expect((await readFile(join(dir, 'encryption.key'), 'utf8')).trim()).toBe(first);
    expect((await stat(join(dir, 'encryption.key'))).mode & 0o077).toBe(0);
  });

  it('is the one given, and must be given with an external database', () => {
    expect(resolveEncryptionKey({ DATA_DIR: dir, ENCRYPTION_KEY: 'given', DATABASE_URL: 'postgres://x' })).toBe('given');
    expect(() => resolveEncryptionKey({ DATA_DIR: dir, DATABASE_URL: 'postgres://x' })).toThrow(
      /ENCRYPTION_KEY is required with DATABASE_URL/,
    );
  });
});
