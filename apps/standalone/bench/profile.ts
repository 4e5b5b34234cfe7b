/**
 * Where a process's CPU time went: the top self-time frames of a V8 `.cpuprofile` (what
 * `node --cpu-prof` writes), and the same time summed by package, so a profile taken under
 * load reads as a short table instead of a flame graph viewer.
 *
 *   tsx bench/profile.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  frame: string;
  ms: number;
  share: number;
}

/** Which package a script belongs to: the last node_modules package in its path, or the workspace folder. */
function packageOf(url: string): string {
  if (!url) return '(native / idle / gc)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const rest = modules.at(-1)!.split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const workspace = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return workspace ? `@atrium/${workspace[2]}` : url;
}

export function summariseProfile(file: string, top = 20): { frames: FrameTime[]; packages: FrameTime[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // Idle is waiting, not work: leave it out of the shares.
    if (functionName === '(idle)') continue;
    totalUs += us;
    const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(apps|packages)\//, '$1/');
    const frame = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    frames.set(frame, (frames.get(frame) ?? 0) + us);
    const pkg = packageOf(url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({ frame, ms: Math.round(us / 100) / 10, share: Math.round((us / totalUs) * 1000) / 10 }));
  return { frames: rank(frames), packages: rank(packages), totalMs: Math.round(totalUs / 1000) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile.ts <file.cpuprofile> [top]');
  const summary = summariseProfile(file, Number(top ?? 25));
  console.log(`${file}: ${summary.totalMs} ms busy`);
  console.table(summary.packages);
  console.table(summary.frames);
}
