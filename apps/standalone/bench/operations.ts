/**
 * What `pnpm bench` can load a system with: each operation is the n-th request of a run (a REST
 * call as a client makes it), selected by name with BENCH_OPERATIONS. Reads send the same request
 * every time; writes a fresh body (or, for deletes, a fresh project) per request. The mix
 * (mix.ts) is an operation too; the event lag (lag.ts) and the memory readings are not.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { System } from './measure.js';
import { MIX_CONNECTIONS, mixRequest } from './mix.js';
import { bulkProjects } from './seed.js';
import type { Seeded } from './seed.js';

export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** From the host on: `/api/v1/…`. */
  path: string;
  /** The bearer token; the seeded big user's when left out. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
}

export interface Operation {
  name: string;
  /** The `n`-th request (from 1) of run `run` (unique in the bench) against `system`. */
  request(system: System, n: number, run: string): BenchRequest;
  /** The same request every time: autocannon builds it once rather than once per request (reads). */
  constant?: boolean;
  /**
   * Before each run (its warm-up included): makes ready what the run's requests consume, given
   * how long it lasts (the delete's projects). Its writes are settled before the run starts.
   */
  prepare?(system: System, seconds: number): Promise<void>;
  /** Measured at these connection counts only, whatever BENCH_CONNECTIONS says. */
  connections?: number[];
  /** A fixed number of requests (autocannon's `amount`) instead of BENCH_SECONDS. */
  amount?: number;
  /** A write: its CPU and req/s have targets against the baseline's (targets.ts). */
  write?: boolean;
}

const read = (name: string, path: (seeded: Seeded) => string, token?: (seeded: Seeded) => string): Operation => ({
  name,
  constant: true,
  request: ({ seeded }) => ({ method: 'GET', path: path(seeded), token: token?.(seeded) }),
});

/** Keys the put-variable run writes in turn: the first run creates them, every later request replaces one. */
const VARIABLE_KEYS = 20;

export const OPERATIONS: Operation[] = [
  read('get', (s) => `/api/v1/projects/${s.projectId}`),
  // The same request as `get`, 5,000 times one after the other: the tail a single client sees (targets.ts).
  { ...read('get-p99', (s) => `/api/v1/projects/${s.projectId}`), connections: [1], amount: 5_000 },
  read('list-first', () => '/api/v1/projects?limit=50'),
  read('list-deep', (s) => `/api/v1/projects?limit=50&cursor=${s.deepCursor}`),
  read(
    'list-small-user',
    () => '/api/v1/projects?limit=50',
    (s) => s.smallToken,
  ),
  // The 10,000-project user's first page cut to the 10 rows the 10-project user's page holds:
  // against list-small-user, what the number of projects costs with the page size set apart.
  read('list-first-10', () => '/api/v1/projects?limit=10'),
  read('environments', (s) => `/api/v1/projects/${s.projectId}/environments`),
  {
    name: 'create',
    write: true,
    request: (system, n, run) => ({
      method: 'POST',
      path: '/api/v1/projects',
      body: { name: `b-${system.name}-${run}-${n}`, color: '#10B981' },
    }),
  },
  {
    name: 'update',
    write: true,
    request: ({ seeded }, n) => ({ method: 'PUT', path: `/api/v1/projects/${seeded.projectId}`, body: { description: `revision ${n}` } }),
  },
  {
    // Half the keys secret: those values are sealed (AES-256-GCM) on every write, the others stored as they are.
    name: 'put-variable',
    write: true,
    request: ({ seeded }, n) => {
      const key = n % VARIABLE_KEYS;
      return {
        method: 'PUT',
        path: `/api/v1/projects/${seeded.projectId}/environments/${seeded.environmentId}/variables/BENCH_VAR_${key}`,
        body: { value: `value ${n}`, secret: key < VARIABLE_KEYS / 2 },
      };
    },
  },
  {
    // Each request deletes another project of the deleter's (see DeletablePool): never one twice.
    name: 'delete',
    write: true,
    request: ({ seeded }) => ({
      method: 'DELETE',
      path: `/api/v1/projects/${deletablePool(seeded).take()}`,
      token: seeded.deleter.token,
    }),
    prepare: ({ seeded }, seconds) => deletablePool(seeded).fill(seconds),
  },
];

/** The realistic mix (mix.ts): measured last, after the event lag, so the memory read after it is "after the mix". */
export const MIX_OPERATION: Operation = { name: 'mix', request: (system, n) => mixRequest(system, n), connections: [MIX_CONNECTIONS] };

/**
 * Projects for the delete runs to delete, owned by the seeded deleter, each with its owner
 * membership and default environment as the services make them (seed.ts's bulkProjects). Before
 * each run the pool is filled to what the run could use up at DELETES_PER_SECOND_BOUND; should
 * it run dry anyway, the requests left delete a project that does not exist and count as errors.
 * Shared by the systems on one database: a project is taken once, whoever deletes it.
 */
class DeletablePool {
  private ids: string[] = [];
  private warned = false;

  constructor(private readonly seeded: Seeded) {}

  take(): string {
    const id = this.ids.pop();
    if (id) return id;
    if (!this.warned) console.warn('delete: the pool of projects to delete ran dry; the rest of the run answers 404 (errors)');
    this.warned = true;
    return randomUUID();
  }

  async fill(seconds: number): Promise<void> {
    const wanted = Math.ceil(seconds * DELETES_PER_SECOND_BOUND);
    if (this.ids.length >= wanted) return;
    const db = new pg.Client({ connectionString: this.seeded.databaseUrl });
    await db.connect();
    try {
      const made = await bulkProjects(db, this.seeded.deleter.userId, wanted - this.ids.length, `delete-${randomUUID().slice(0, 8)}-`);
      this.ids.push(...made);
    } finally {
      await db.end();
    }
  }
}

/** Above what either system deletes per second on a 2-core machine (the baseline: ~1,000). */
const DELETES_PER_SECOND_BOUND = 2_500;

const pools = new WeakMap<Seeded, DeletablePool>();
function deletablePool(seeded: Seeded): DeletablePool {
  const pool = pools.get(seeded) ?? new DeletablePool(seeded);
  pools.set(seeded, pool);
  return pool;
}
