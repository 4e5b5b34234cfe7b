/**
 * The targets of the "writes as cheap as reads" issue, each with Atrium's figure, the baseline's
 * from the same run, their ratio and whether Atrium meets it. A target whose measurement was
 * not selected (BENCH_OPERATIONS) or whose system did not run is left out.
 */
import type { LagFigures } from './lag.js';
import type { Figures } from './measure.js';

export interface TargetRow {
  target: string;
  atrium: number;
  baseline: number | null;
  /** Atrium ÷ baseline. */
  ratio: number | null;
  goal: string;
  met: boolean;
}

/** Resident memory (VmRSS) by process, kiB, per system: at rest after seeding, and after the mix. */
export interface MemoryReadings {
  atRest: Record<string, Record<string, number>>;
  afterMix: Record<string, Record<string, number>>;
}

const WRITES: [string, string][] = [
  ['create', 'POST /projects'],
  ['update', 'PUT /projects/:id'],
  ['put-variable', 'PUT …/variables/{key}'],
  ['delete', 'DELETE /projects/:id'],
];
const CPU_RATIO = 2;
const WRITE_RPS_RATIO = 0.6;
const LAG_P50_MS = 20;
const LAG_P99_MS = 100;
const MIX_RPS_RATIO = 1;
const MIX_CPU_RATIO = 1;
const GET_P99_MS = 3;
const REST_MB = 120;
const AFTER_MIX_MB = 200;
/** Not Atrium's own: PostgreSQL serves the baseline alike. */
const SHARED_PROCESSES = new Set(['postgres']);

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;
const ratio = (a: number, b: number | null) => (b ? round(a / b) : null);
/** MB as the issue states them: 10^6 bytes. */
const megabytes = (kib: number) => round((kib * 1024) / 1e6, 1);

function row(target: string, atrium: number, baseline: number | null, goal: string, met: boolean): TargetRow {
  return { target, atrium, baseline, ratio: ratio(atrium, baseline), goal, met };
}

/** Per write operation and connection count: CPU per request ≤ 2× the baseline's; at 32 connections, req/s ≥ 0.6×. */
function writeTargets(figures: Figures[]): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const [operation, label] of WRITES) {
    for (const atrium of figures.filter((f) => f.system === 'atrium' && f.operation === operation)) {
      const base = figures.find((f) => f.system === 'baseline' && f.operation === operation && f.connections === atrium.connections);
      if (!base) continue;
      const cpuRatio = ratio(atrium.totalCpuUsPerRequest, base.totalCpuUsPerRequest) ?? Infinity;
      rows.push(
        row(
          `${label}, ${atrium.connections} conn: CPU µs/request`,
          atrium.totalCpuUsPerRequest,
          base.totalCpuUsPerRequest,
          `≤ ${CPU_RATIO}× baseline`,
          cpuRatio <= CPU_RATIO,
        ),
      );
      if (atrium.connections === 32) {
        rows.push(
          row(
            `${label}, 32 conn: req/s`,
            atrium.rps,
            base.rps,
            `≥ ${WRITE_RPS_RATIO}× baseline`,
            (ratio(atrium.rps, base.rps) ?? 0) >= WRITE_RPS_RATIO,
          ),
        );
      }
    }
  }
  return rows;
}

function lagTargets(lag: LagFigures[]): TargetRow[] {
  const atrium = lag.find((l) => l.system === 'atrium');
  if (!atrium) return [];
  const base = lag.find((l) => l.system === 'baseline');
  const lost = atrium.missing + atrium.errors;
  // Below the rate asked for, the system did not keep up: its lag includes the queue in front of it.
  const behind = atrium.answeredPerSecond < 0.95 * atrium.rate ? ` (only ${atrium.answeredPerSecond}/s answered)` : '';
  const complete = `${behind}${lost === 0 ? '' : ` (${lost} of ${atrium.writes} writes lost or failed: not met)`}`;
  return [
    row(
      `event lag p50 ms, ${atrium.rate} writes/s${complete}`,
      atrium.fromUpdatedAtMs.p50,
      base?.fromUpdatedAtMs.p50 ?? null,
      `≤ ${LAG_P50_MS} ms`,
      lost === 0 && atrium.fromUpdatedAtMs.p50 <= LAG_P50_MS,
    ),
    row(
      `event lag p99 ms, ${atrium.rate} writes/s${complete}`,
      atrium.fromUpdatedAtMs.p99,
      base?.fromUpdatedAtMs.p99 ?? null,
      `≤ ${LAG_P99_MS} ms`,
      lost === 0 && atrium.fromUpdatedAtMs.p99 <= LAG_P99_MS,
    ),
  ];
}

function mixTargets(figures: Figures[]): TargetRow[] {
  const atrium = figures.find((f) => f.system === 'atrium' && f.operation === 'mix');
  const base = figures.find((f) => f.system === 'baseline' && f.operation === 'mix');
  if (!atrium || !base) return [];
  return [
    row(
      `mix, ${atrium.connections} conn: req/s`,
      atrium.rps,
      base.rps,
      `≥ ${MIX_RPS_RATIO}× baseline`,
      (ratio(atrium.rps, base.rps) ?? 0) >= MIX_RPS_RATIO,
    ),
    row(
      `mix, ${atrium.connections} conn: CPU µs/request`,
      atrium.totalCpuUsPerRequest,
      base.totalCpuUsPerRequest,
      `≤ ${MIX_CPU_RATIO}× baseline`,
      (ratio(atrium.totalCpuUsPerRequest, base.totalCpuUsPerRequest) ?? Infinity) <= MIX_CPU_RATIO,
    ),
  ];
}

function getP99Target(figures: Figures[]): TargetRow[] {
  const atrium = figures.find((f) => f.system === 'atrium' && f.operation === 'get-p99');
  if (!atrium) return [];
  const base = figures.find((f) => f.system === 'baseline' && f.operation === 'get-p99');
  return [
    row(
      `GET /projects/:id, 1 conn, p99 ms over ${atrium.requests} requests`,
      atrium.latencyMs.p99,
      base?.latencyMs.p99 ?? null,
      `≤ ${GET_P99_MS} ms`,
      atrium.latencyMs.p99 <= GET_P99_MS,
    ),
  ];
}

/** Each of Atrium's processes against the limit; the baseline column is the baseline's one process. */
function memoryTargets(readings: Record<string, Record<string, number>>, when: string, limitMb: number): TargetRow[] {
  const atrium = readings.atrium;
  if (!atrium) return [];
  const base = readings.baseline?.baseline;
  return Object.entries(atrium)
    .filter(([name]) => !SHARED_PROCESSES.has(name))
    .map(([name, kib]) =>
      row(
        `resident memory ${when}, ${name} (MB)`,
        megabytes(kib),
        base ? megabytes(base) : null,
        `≤ ${limitMb} MB`,
        megabytes(kib) <= limitMb,
      ),
    );
}

export function targets(figures: Figures[], lag: LagFigures[], memory: MemoryReadings): TargetRow[] {
  return [
    ...writeTargets(figures),
    ...lagTargets(lag),
    ...mixTargets(figures),
    ...getP99Target(figures),
    ...memoryTargets(memory.atRest, 'at rest', REST_MB),
    ...memoryTargets(memory.afterMix, 'after the mix', AFTER_MIX_MB),
  ];
}
