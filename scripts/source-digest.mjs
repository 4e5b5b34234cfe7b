// A digest of what `pnpm build` compiles in one workspace package: its TypeScript sources
// (src/ and migrations/, tests and declarations aside), paths and contents. The build writes it
// to dist/.source-digest after tsc; `pnpm start` (apps/standalone/start.js) runs the built
// JavaScript only when every package's digest still matches its sources. Contents, not file
// times: turbo restores a cached dist/ without rewriting it, and a checkout changes file times
// without changing what they say.
//
//   node ../../scripts/source-digest.mjs   (in a package's folder: writes its dist/.source-digest)
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIGEST_FILE = join('dist', '.source-digest');

function sources(folder) {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The digest of `packageFolder`'s sources as they are now (about 400 files for all Atrium: milliseconds). */
export function sourceDigest(packageFolder) {
  const hash = createHash('sha256');
  const files = [...sources(join(packageFolder, 'src')), ...sources(join(packageFolder, 'migrations'))].sort();
  for (const file of files)
    hash
      .update(`${relative(packageFolder, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(process.cwd(), DIGEST_FILE), `${sourceDigest(process.cwd())}\n`);
}
