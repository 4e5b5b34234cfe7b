/** The tables `pnpm bench` prints: figures per operation, ratios to the baseline, event lag, start-up, memory and the targets. */
import type { LagFigures } from './lag.js';
import type { Figures } from './measure.js';
import type { MemoryReadings, TargetRow } from './targets.js';

interface Results {
  machine: { cores: number; loadAverageBefore: number; loadAverageAfter: number };
  startup: { firstStartMs?: number; nextStartMs?: number; deployedReadyMs: number };
  peakMemoryKiB: Record<string, { kib: number; processes: number }>;
  /** Per system, per process: ms of CPU per second with no request. */
  idleCpuMsPerSecond: Record<string, Record<string, number>>;
  figures: Figures[];
  lag: LagFigures[];
  residentMemoryKiB: MemoryReadings;
  targets: TargetRow[];
  profiles?: { dir: string; summaries: Record<string, { frames: { frame: string; ms: number; share: number }[]; totalMs: number }> };
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);

/**
 * What the list targets compare, per system and connections: a page 9,000 rows deep against
 * the first page (CPU per request and p50: a keyset page should cost the same wherever it is),
 * and the 10,000-project user's first page against the 10-project user's (p50 and CPU) — with
 * `limit=50` as the target is stated (50 rows against 10), and with the big user's page cut to
 * the same 10 rows (list-first-10), which sets the page size apart from the number of projects.
 */
function listTargets(figures: Figures[]): void {
  const find = (f: Figures, operation: string) =>
    figures.find((other) => other.system === f.system && other.connections === f.connections && other.operation === operation);
  const rows = [];
  for (const first of figures.filter((f) => f.operation === 'list-first')) {
    const deep = find(first, 'list-deep');
    const small = find(first, 'list-small-user');
    const firstTen = find(first, 'list-first-10');
    if (!deep && !small) continue;
    rows.push({
      system: first.system,
      conn: first.connections,
      'deep ÷ first, CPU': deep ? ratio(deep.totalCpuUsPerRequest, first.totalCpuUsPerRequest) : '-',
      'deep ÷ first, p50': deep ? ratio(deep.p50Ms, first.p50Ms) : '-',
      '10,000 ÷ 10 projects, p50': small ? ratio(first.p50Ms, small.p50Ms) : '-',
      '10,000 ÷ 10 projects, CPU': small ? ratio(first.totalCpuUsPerRequest, small.totalCpuUsPerRequest) : '-',
      'same 10 rows, p50': small && firstTen ? ratio(firstTen.p50Ms, small.p50Ms) : '-',
      'same 10 rows, CPU': small && firstTen ? ratio(firstTen.totalCpuUsPerRequest, small.totalCpuUsPerRequest) : '-',
    });
  }
  if (rows.length === 0) return;
  console.log('\nLists: a deep page against the first page, and a 10,000-project user against a 10-project user (1 = no dearer)');
  console.table(rows);
}

export function report(results: Results): void {
  const { figures } = results;
  console.log('\nPer operation (CPU = µs of CPU time per request, by process)');
  console.table(
    figures.map((f) => ({
      operation: f.operation,
      conn: f.connections,
      system: f.system,
      'req/s': f.rps,
      'p50 ms': f.latencyMs.p50,
      'p99 ms': f.latencyMs.p99,
      errors: f.errors,
      'CPU µs': f.totalCpuUsPerRequest,
      'by process': Object.entries(f.cpuUsPerRequest)
        .map(([name, us]) => `${name} ${us}`)
        .join(', '),
      'others (cores)': f.otherLoadCores,
    })),
  );

  const rows = [];
  for (const f of figures.filter((figure) => figure.system !== 'baseline')) {
    const base = figures.find((b) => b.system === 'baseline' && b.operation === f.operation && b.connections === f.connections);
    if (!base) continue;
    rows.push({
      operation: f.operation,
      conn: f.connections,
      system: f.system,
      'req/s ÷ baseline': ratio(f.rps, base.rps),
      'CPU ÷ baseline': ratio(f.totalCpuUsPerRequest, base.totalCpuUsPerRequest),
      'p50 ms (baseline)': `${f.latencyMs.p50} (${base.latencyMs.p50})`,
      'p99 ms (baseline)': `${f.latencyMs.p99} (${base.latencyMs.p99})`,
      'errors (baseline)': `${f.errors} (${base.errors})`,
    });
  }
  if (rows.length > 0) {
    console.log('\nAgainst the hand-written baseline (req/s: higher is better; CPU: lower is better; the targets are at the end)');
    console.table(rows);
  }

  listTargets(figures);
  lagTable(results.lag);
  memoryTable(results.residentMemoryKiB);

  if (Object.keys(results.idleCpuMsPerSecond).length > 0) {
    console.log('\nIdle: ms of CPU per second with no request, by process (included in every per-request figure above)');
    console.table(
      Object.fromEntries(
        Object.entries(results.idleCpuMsPerSecond).map(([system, byProcess]) => [
          system,
          Object.entries(byProcess)
            .map(([name, ms]) => `${name} ${ms}`)
            .join(', '),
        ]),
      ),
    );
  }

  console.log('\nStart-up and peak memory');
  console.table({
    'pnpm start → /healthz, first start (ms)': results.startup.firstStartMs ?? 'skipped',
    'pnpm start → /healthz, again (ms)': results.startup.nextStartMs ?? 'skipped',
    'four processes → /readyz all ok (ms)': results.startup.deployedReadyMs,
  });
  console.table(
    Object.fromEntries(
      Object.entries(results.peakMemoryKiB).map(([name, memory]) => [
        name,
        { 'VmHWM MiB': Math.round(memory.kib / 102.4) / 10, processes: memory.processes },
      ]),
    ),
  );
  console.log(
    `machine: ${results.machine.cores} cores, load average ${results.machine.loadAverageBefore} before, ${results.machine.loadAverageAfter} after`,
  );

  for (const [file, summary] of Object.entries(results.profiles?.summaries ?? {})) {
    console.log(`\n${file}: ${summary.totalMs} ms of CPU, top self time`);
    console.table(summary.frames.slice(0, 12));
  }

  targetsTable(results.targets);
}

function lagTable(lag: LagFigures[]): void {
  if (lag.length === 0) return;
  console.log(
    "\nEvent lag: a write's commit (its answer's updated_at) to its audit row readable; beside it, from the answer's arrival (ms)",
  );
  console.table(
    lag.map((l) => ({
      system: l.system,
      'writes/s sent': l.rate,
      'answered/s': l.answeredPerSecond,
      writes: l.writes,
      'p50 ms': l.fromUpdatedAtMs.p50,
      'p90 ms': l.fromUpdatedAtMs.p90,
      'p99 ms': l.fromUpdatedAtMs.p99,
      'max ms': l.fromUpdatedAtMs.max,
      'from answer p50 / p99': `${l.fromAnswerMs.p50} / ${l.fromAnswerMs.p99}`,
      errors: l.errors,
      'no audit row': l.missing,
      'CPU µs/write': l.cpuUsPerWrite,
      'others (cores)': l.otherLoadCores,
    })),
  );
}

function memoryTable(memory: MemoryReadings): void {
  const systems = [...new Set([...Object.keys(memory.atRest), ...Object.keys(memory.afterMix)])];
  if (systems.length === 0) return;
  console.log('\nResident memory (VmRSS, MB = 10^6 bytes; PostgreSQL: its largest process), at rest after seeding and after the mix');
  const mb = (kib: number | undefined) => (kib === undefined ? '-' : Math.round((kib * 1024) / 1e5) / 10);
  console.table(
    systems.flatMap((system) =>
      Object.keys({ ...memory.atRest[system], ...memory.afterMix[system] }).map((name) => ({
        system,
        process: name,
        'at rest': mb(memory.atRest[system]?.[name]),
        'after the mix': mb(memory.afterMix[system]?.[name]),
      })),
    ),
  );
}

function targetsTable(rows: TargetRow[]): void {
  if (rows.length === 0) return;
  const met = rows.filter((row) => row.met).length;
  console.log(`\nTargets (issue "writes as cheap as reads"): ${met} of ${rows.length} met`);
  console.table(
    rows.map((row) => ({
      target: row.target,
      Atrium: row.atrium,
      baseline: row.baseline ?? '-',
      ratio: row.ratio ?? '-',
      goal: row.goal,
      met: row.met ? 'yes' : 'NO',
    })),
  );
}
