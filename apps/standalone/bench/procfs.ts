/**
 * What the bench reads about processes from /proc (Linux only): CPU time and peak memory. CPU
 * time per request is the figure that survives a shared machine; req/s moves with whatever
 * else runs on it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  /** Session id: every process `pnpm start` runs is in the session of the launched pnpm. */
  session: number;
  /** utime + stime, µs. */
  cpuUs: number;
  /** cutime + cstime, µs: children that exited and were waited for (PostgreSQL's ended backends). */
  childrenCpuUs: number;
}

export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17), numbered from 1.
  const fields = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  const us = (ticks: number) => (ticks * 1e6) / TICKS_PER_SECOND;
  return { pid, comm, ppid: field(4), session: field(6), cpuUs: us(field(14) + field(15)), childrenCpuUs: us(field(16) + field(17)) };
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The processes named `comm` in session `sid`. */
export function inSession(sid: number, comm: string): number[] {
  return allPids().filter((pid) => {
    const stat = readStat(pid);
    return stat?.session === sid && stat.comm === comm;
  });
}

/** The process whose command line has `flag value` (a server by its port), named `comm`. */
export function findServer(comm: string, flag: string, value: string): number | undefined {
  return allPids().find((pid) => {
    const args = cmdline(pid);
    const at = args.indexOf(flag);
    return at >= 0 && args[at + 1] === value && readStat(pid)?.comm === comm;
  });
}

/** A group of processes measured as one: a Node process, or PostgreSQL's postmaster and its backends. */
export interface ProcessGroup {
  name: string;
  /** The CPU time the group has used so far, µs. */
  cpuUs(): number;
  /** The largest peak resident set (VmHWM) among its processes, and how many there are. */
  peakMemory(): { kib: number; processes: number };
  /** The largest resident set now (VmRSS) among its processes, and how many there are. */
  residentMemory(): { kib: number; processes: number };
}

export function singleProcess(name: string, pid: number): ProcessGroup {
  return {
    name,
    cpuUs: () => readStat(pid)?.cpuUs ?? 0,
    peakMemory: () => ({ kib: vmHwm(pid), processes: 1 }),
    residentMemory: () => ({ kib: vmRss(pid), processes: 1 }),
  };
}

/**
 * PostgreSQL: the postmaster, every backend and helper it forked, and (through the postmaster's
 * cutime) the ones that already exited — so a pool that reconnects loses nothing.
 */
export function processTree(name: string, rootPid: number): ProcessGroup {
  const members = () => {
    const stats = allPids()
      .map(readStat)
      .filter((stat): stat is Stat => stat !== undefined);
    return stats.filter((stat) => stat.pid === rootPid || stat.ppid === rootPid);
  };
  return {
    name,
    cpuUs: () => members().reduce((sum, stat) => sum + stat.cpuUs + (stat.pid === rootPid ? stat.childrenCpuUs : 0), 0),
    peakMemory: () => {
      const list = members();
      return { kib: Math.max(0, ...list.map((stat) => vmHwm(stat.pid))), processes: list.length };
    },
    // The largest process, not the sum: PostgreSQL's backends share its buffers, which each one counts.
    residentMemory: () => {
      const list = members();
      return { kib: Math.max(0, ...list.map((stat) => vmRss(stat.pid))), processes: list.length };
    },
  };
}

/** A `kB` line of /proc/<pid>/status (VmHWM: peak resident set, VmRSS: resident set now); 0 once the process is gone. */
function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export const vmHwm = (pid: number): number => statusKiB(pid, 'VmHWM');
export const vmRss = (pid: number): number => statusKiB(pid, 'VmRSS');

/** Busy CPU time of the whole machine so far, µs (all cores): what everyone, the bench included, used. */
export function machineBusyUs(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const ticks = cpu!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = ticks[3]! + ticks[4]!;
  return ((total - idle) * 1e6) / TICKS_PER_SECOND;
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
