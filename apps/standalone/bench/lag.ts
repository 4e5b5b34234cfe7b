/**
 * Event lag: how long after a write commits its entry in the audit trail can be read. At a steady
 * LAG_RATE writes per second for LAG_SECONDS, each `PUT /projects/:id` carries an X-Request-Id of
 * the bench's own (the gateway takes a well-formed one as the request's id, and it becomes the
 * event's `request_id`; the baseline does the same), and the bench polls `projects.audit_events`
 * every 2 ms (spaced out while the lag is long: see watchAuditTrail) for the request ids it is
 * still waiting for. LISTEN is no use here: nothing notifies on the audit table.
 *
 * The write's commit is read as the answer's `updated_at`: the project's new `updated_at`, set by
 * the writing process as its transaction flushes, a moment before the commit. So the lag measured
 * is a little longer than the true one (by the commit's round trip), never shorter; the lag from
 * the answer's arrival (after the commit and the way back through the gateway: a little shorter)
 * is recorded beside it. A row counts as readable at the start of the first poll that returned it
 * (so up to one poll interval and one poll's query late). The baseline writes its audit row in the write's own
 * transaction: its figure is what this way of measuring reads for no lag at all.
 *
 * The load is paced by the bench itself rather than autocannon's `overallRate`, which lets each
 * connection send its share of a second back to back at the start of each second: bursts, not a
 * steady rate. Writes go round the big user's projects, so they do not queue on one row's lock.
 */
import http from 'node:http';
import pg from 'pg';
import type { Percentiles, System } from './measure.js';
import { percentiles, settle } from './measure.js';
import { machineBusyUs } from './procfs.js';

const LAG_RATE = 200;
const LAG_SECONDS = 5;
/** After the last write, how long the bench waits for the audit rows still missing. */
const LAG_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 2;
const MAX_POLL_INTERVAL_MS = 50;
/** Projects the writes go round. */
const PROJECTS = 500;

export interface LagFigures {
  system: string;
  rate: number;
  seconds: number;
  writes: number;
  /**
   * Writes answered per second, from the first sent to the last answered: below `rate`, the
   * system did not keep up, and the lag includes the queue that built up in front of it.
   */
  answeredPerSecond: number;
  /** Answers other than 200, and requests that failed. */
  errors: number;
  /** Successful writes whose audit row was not there LAG_GRACE_MS after the last write. */
  missing: number;
  /** From the answer's `updated_at` to the audit row readable: the target's figure. */
  fromUpdatedAtMs: Percentiles;
  /** From the answer's arrival to the audit row readable. */
  fromAnswerMs: Percentiles;
  /** CPU of the system's processes per write, µs, settling after the load included (the poll's queries are in PostgreSQL's). */
  cpuUsPerWrite: number;
  /** What everything else on the machine used meanwhile, in cores (not the bench's own sending and polling). */
  otherLoadCores: number;
}

interface Write {
  requestId: string;
  /** Times in ms since the epoch (Date.now(), the clock `updated_at` is read from too). */
  sentAt?: number;
  /** The answer's `updated_at`. */
  updatedAt?: number;
  answeredAt?: number;
  readableAt?: number;
  failed?: boolean;
}

/** One write: PUT /projects/:id with its own request id; resolves when its answer is in. */
function sendWrite(system: System, agent: http.Agent, projectId: string, write: Write): Promise<void> {
  const url = new URL(system.url);
  // Unique to the write (its request id is the run's tag and its number): a value the project
  // already has (the warm-up run wrote `lag 0…` too) changes nothing, so Atrium would leave its
  // `updated_at` as it was, and the lag would be counted from the earlier write.
  const body = JSON.stringify({ description: `lag ${write.requestId}` });
  return new Promise((resolve) => {
    write.sentAt = Date.now();
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: `/api/v1/projects/${projectId}`,
        agent,
        headers: {
          authorization: `Bearer ${system.seeded.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': write.requestId,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          write.answeredAt = Date.now();
          if (response.statusCode !== 200) write.failed = true;
          else
            write.updatedAt = Date.parse(
              (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { updated_at: string } }).data.updated_at,
            );
          resolve();
        });
      },
    );
    request.on('error', () => {
      write.failed = true;
      resolve();
    });
    request.end(body);
  });
}

/** LAG_RATE writes a second, each at its due time (start + n / rate), however long the ones before take to answer. */
async function sendPaced(system: System, projectIds: string[], writes: Write[], seconds: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const answers: Promise<void>[] = [];
  const total = Math.round(LAG_RATE * seconds);
  const started = performance.now();
  try {
    while (answers.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * LAG_RATE) + 1);
      while (answers.length < due) {
        const n = answers.length;
        answers.push(sendWrite(system, agent, projectIds[n % projectIds.length]!, writes[n]!));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(answers);
  } finally {
    agent.destroy();
  }
}

/**
 * Polls the audit trail until every write has its row (or LAG_GRACE_MS after the last was sent),
 * noting when each first appeared. Only rows created since the oldest write still waited for
 * are read (the `created_at` index: an audit row's time is its event's, taken after the request
 * was sent; a second's margin for the clocks' rounding), and only those still waited for are
 * returned. While the oldest has waited long, polls are spaced out (a 50th of its wait, at most
 * 50 ms): the same precision relative to the lag, without the poll loading the system measured.
 */
async function watchAuditTrail(db: pg.Client, writes: Write[], sending: { done: boolean }): Promise<void> {
  const byId = new Map(writes.map((write) => [write.requestId, write]));
  let graceFrom = Date.now();
  for (;;) {
    const waiting = writes.filter((write) => write.sentAt !== undefined && write.readableAt === undefined && !write.failed);
    if (!sending.done) graceFrom = Date.now();
    else if (waiting.length === 0 || Date.now() - graceFrom > LAG_GRACE_MS) return;
    const oldest = Math.min(...waiting.map((write) => write.sentAt!));
    if (waiting.length > 0) {
      const polledAt = Date.now();
      const { rows } = await db.query<{ request_id: string }>(
        'select request_id from projects.audit_events where created_at >= $1 and request_id = any($2::text[])',
        [new Date(oldest - 1_000), waiting.map((write) => write.requestId)],
      );
      for (const row of rows) byId.get(row.request_id)!.readableAt = polledAt;
    }
    const interval =
      waiting.length > 0 ? Math.min(MAX_POLL_INTERVAL_MS, Math.max(POLL_INTERVAL_MS, (Date.now() - oldest) / 50)) : POLL_INTERVAL_MS;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** One lag run of `seconds` against `system`. */
async function lagRun(
  system: System,
  db: pg.Client,
  projectIds: string[],
  seconds: number,
): Promise<Omit<LagFigures, 'cpuUsPerWrite' | 'otherLoadCores'>> {
  const tag = `lag-${system.name}-${Date.now().toString(36)}`;
  const writes: Write[] = Array.from({ length: Math.round(LAG_RATE * seconds) }, (_, i) => ({ requestId: `${tag}-${i}` }));
  const sending = { done: false };
  const watching = watchAuditTrail(db, writes, sending);
  await sendPaced(system, projectIds, writes, seconds).finally(() => {
    sending.done = true;
  });
  await watching;
  const answered = writes.filter((write) => !write.failed && write.updatedAt !== undefined);
  const seen = answered.filter((write) => write.readableAt !== undefined);
  const span = Math.max(...answered.map((write) => write.answeredAt!)) - Math.min(...writes.map((write) => write.sentAt ?? Infinity));
  return {
    system: system.name,
    rate: LAG_RATE,
    seconds,
    writes: writes.length,
    answeredPerSecond: Math.round((answered.length / Math.max(1, span)) * 1000),
    errors: writes.filter((write) => write.failed).length,
    missing: answered.length - seen.length,
    fromUpdatedAtMs: percentiles(seen.map((write) => write.readableAt! - write.updatedAt!)),
    fromAnswerMs: percentiles(seen.map((write) => write.readableAt! - write.answeredAt!)),
  };
}

/**
 * The event lag of `system`: a short unmeasured run first (JIT, pools: the first writes of a
 * cold path are not the lag), then LAG_SECONDS measured, with the CPU the system spent on them
 * until it is idle again.
 */
export async function measureLag(system: System, warmupSeconds: number): Promise<LagFigures> {
  const db = new pg.Client({ connectionString: system.seeded.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ project_id: string }>(
      `select project_id from projects.members where user_id = $1 and role = 'owner' order by project_id limit $2`,
      [system.seeded.userId, PROJECTS],
    );
    const projectIds = rows.map((row) => row.project_id);
    if (warmupSeconds > 0) {
      await lagRun(system, db, projectIds, Math.min(warmupSeconds, 2));
      await settle(system);
    }
    const before = system.processes.map((group) => group.cpuUs());
    const busyBefore = machineBusyUs();
    const selfBefore = process.cpuUsage();
    const started = performance.now();
    const figures = await lagRun(system, db, projectIds, LAG_SECONDS);
    await settle(system);
    const spent = system.processes.reduce((sum, group, i) => sum + group.cpuUs() - before[i]!, 0);
    const self = process.cpuUsage(selfBefore);
    const others = (machineBusyUs() - busyBefore - spent - self.user - self.system) / ((performance.now() - started) * 1000);
    return {
      ...figures,
      cpuUsPerWrite: Math.round(spent / Math.max(1, figures.writes)),
      otherLoadCores: Math.max(0, Math.round(others * 100) / 100),
    };
  } finally {
    await db.end();
  }
}
