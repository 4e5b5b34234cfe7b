import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, defaultDataDir } from '../src/data-dir.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STANDALONE = fileURLToPath(new URL('..', import.meta.url));

describe('the default data folder', () => {
  it('is .data at the workspace root', () => {
    expect(DEFAULT_DATA_DIR).toBe(join(WORKSPACE_ROOT, '.data'));
  });

  it('is the same folder whether `pnpm start` runs the sources or the build (dist/src/)', () => {
    // start.js loads dist/src/main.js once `pnpm build` has run, else src/main.ts.
    const fromSources = defaultDataDir(pathToFileURL(join(STANDALONE, 'src/data-dir.ts')).href);
    const fromBuild = defaultDataDir(pathToFileURL(join(STANDALONE, 'dist/src/data-dir.js')).href);
    expect(fromSources).toBe(join(WORKSPACE_ROOT, '.data'));
    expect(fromBuild).toBe(join(WORKSPACE_ROOT, '.data'));
  });
});
