import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { assertUploadName } from './store.js';
import type { UploadStore } from './store.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Uploads in a folder: the one-process mode's store, where the single process is every
 * instance there is. A file is written beside its final name and renamed into place, so a
 * reader never sees half of it.
 */
export function folderUploadStore(root: string): UploadStore {
  const pathOf = (name: string) => {
    assertUploadName(name);
    return join(root, ...name.split('/'));
  };
  return {
    async put(name, bytes) {
      const path = pathOf(name);
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.${randomUUID()}.partial`;
      await writeFile(partial, bytes, { flag: 'wx' });
      await rename(partial, path);
    },
    async read(name) {
      try {
        return new Uint8Array(await readFile(pathOf(name)));
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async has(name) {
      try {
        return (await stat(pathOf(name))).isFile();
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    async remove(name) {
      await rm(pathOf(name), { force: true });
    },
    async list() {
      try {
        const entries = await readdir(root, { recursive: true, withFileTypes: true });
        return entries
          .filter((entry) => entry.isFile() && !entry.name.endsWith('.partial'))
          .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
    },
  };
}
