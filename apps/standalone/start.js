// `pnpm start`: the built JavaScript (`pnpm build`) when it is current, else the TypeScript
// sources through tsx, so a fresh clone with nothing built starts all the same. Plain JavaScript,
// run by node itself: it decides before anything is transpiled.
//
// Why: tsx transforms every workspace source and its loader hooks see each of the ~2,600
// modules loaded, which nearly doubles the CPU time of loading them (measured on the shared
// machine: 5.4 s → 3.0 s of CPU); loading modules is most of what start-up costs.
import { readFileSync, realpathSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGEST_FILE, sourceDigest } from '../../scripts/source-digest.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Each workspace package this one loads (itself included), by folder. */
function workspaceClosure(folder, seen = new Set()) {
  if (seen.has(folder)) return seen;
  seen.add(folder);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    if (String(version).startsWith('workspace:')) workspaceClosure(realpathSync(join(folder, 'node_modules', name)), seen);
  }
  return seen;
}

/** Current: every package loaded was built from its sources as they are now (see scripts/source-digest.mjs). */
function builtIsCurrent() {
  for (const folder of workspaceClosure(HERE)) {
    let built;
    try {
      built = readFileSync(join(folder, DIGEST_FILE), 'utf8').trim();
    } catch {
      return false;
    }
    if (built !== sourceDigest(folder)) return false;
  }
  return true;
}

// Node 22.1 and later keep V8's compiled code of each module between starts (in the folder
// NODE_COMPILE_CACHE names, else in the system's temporary folder); Node 20 has no such cache.
module.enableCompileCache?.();

if (builtIsCurrent()) {
  await import('./dist/src/main.js');
} else {
  // What `node --import tsx --conditions=@atrium/source src/main.ts` does: tsx's hooks, then one
  // that resolves workspace packages to their sources (the export condition they name them by).
  await import('tsx');
  module.register('./start-hooks.js', import.meta.url);
  await import('./src/main.ts');
}
