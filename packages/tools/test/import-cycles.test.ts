import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from '../src/import-graph.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the import graph of packages/*/src and apps/*/src', () => {
  it('has no cycle: every file can be read without the files that import it', () => {
    const graph = importGraph(WORKSPACE_ROOT);
    // The walk found the sources and followed imports across packages (a broken resolver finds no cycle either).
    expect(graph.get('packages/service-runtime/src/context.ts')).toContain('packages/service-runtime/src/errors.ts');
    expect(graph.get('packages/service-runtime/src/bus.ts')).toContain('packages/contract/src/index.ts');
    expect(importCycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
