import { randomUUID } from 'node:crypto';

/** Waits for a condition, checking every 20 ms (no fixed sleeps: it returns as soon as it holds). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const refused = (error: unknown) => (error as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED';

/**
 * A load balancer in miniature, as the one in front of the gateways behaves: round robin over
 * the backends whose `/readyz` answered 200 at its last health check (every 50 ms), and a
 * request whose connection is refused goes to the next backend — it never reached a server.
 * Nothing else is retried: any other error or non-2xx answer is the client's.
 */
export class Balancer {
  private readonly ready = new Set<string>();
  private next = 0;
  private checking = true;
  private readonly checker: Promise<void>;

  constructor(private readonly backends: string[]) {
    for (const backend of backends) this.ready.add(backend);
    this.checker = this.check();
  }

  private async check(): Promise<void> {
    while (this.checking) {
      await Promise.all(
        this.backends.map(async (backend) => {
          const ok = await fetch(`${backend}/readyz`).then(
            (response) => response.ok,
            () => false,
          );
          if (ok) this.ready.add(backend);
          else this.ready.delete(backend);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async fetch(path: string, init: RequestInit = {}): Promise<{ response: Response; via: string }> {
    for (let tries = 0; ; tries += 1) {
      const candidates = this.backends.filter((backend) => this.ready.has(backend));
      const via = candidates[this.next++ % Math.max(1, candidates.length)] ?? this.backends[0]!;
      try {
        return { response: await fetch(`${via}${path}`, init), via };
      } catch (error) {
        if (!refused(error) || tries >= this.backends.length) throw error;
        this.ready.delete(via);
      }
    }
  }

  async close(): Promise<void> {
    this.checking = false;
    await this.checker;
  }
}

export interface Outcome {
  kind: 'read' | 'write';
  ok: boolean;
  status: number;
  error?: string;
  startedAt: number;
  ms: number;
  /** Writes: the name created and the id answered. */
  name?: string;
  id?: string;
}

/**
 * A steady stream of requests from `workers` clients, each one after the other: reads of one
 * project (`GET /projects/:id`) and, every `writeEvery`-th, a creating `POST /projects` with an
 * `Idempotency-Key` (each with a name of its own).
 */
export function startLoad(options: { balancer: Balancer; token: string; projectId: string; workers: number; writeEvery: number }) {
  const outcomes: Outcome[] = [];
  let running = true;
  let sequence = 0;
  const auth = { authorization: `Bearer ${options.token}` };

  async function once(kind: 'read' | 'write'): Promise<Outcome> {
    const startedAt = Date.now();
    const name = kind === 'write' ? `failover-${randomUUID().slice(0, 13)}` : undefined;
    try {
      const { response } =
        kind === 'read'
          ? await options.balancer.fetch(`/api/v1/projects/${options.projectId}`, { headers: auth })
          : await options.balancer.fetch('/api/v1/projects', {
              method: 'POST',
              headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
              body: JSON.stringify({ name }),
            });
      const body = (await response.json().catch(() => undefined)) as { data?: { id?: string } } | undefined;
      const ok = response.status === (kind === 'read' ? 200 : 201);
      return {
        kind,
        ok,
        status: response.status,
        startedAt,
        ms: Date.now() - startedAt,
        name,
        id: body?.data?.id,
        error: ok ? undefined : JSON.stringify(body),
      };
    } catch (error) {
      return {
        kind,
        ok: false,
        status: 0,
        startedAt,
        ms: Date.now() - startedAt,
        name,
        error: String((error as { cause?: unknown }).cause ?? error),
      };
    }
  }

  const workers = Array.from({ length: options.workers }, async () => {
    while (running) {
      sequence += 1;
      outcomes.push(await once(sequence % options.writeEvery === 0 ? 'write' : 'read'));
    }
  });

  return {
    outcomes,
    /** Completed requests that started after `since`. */
    completedSince: (since: number) => outcomes.filter((outcome) => outcome.startedAt >= since).length,
    async stop(): Promise<Outcome[]> {
      running = false;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

/** Latency figures for the report (printed, never asserted: the machine is shared). */
export function describeLatency(outcomes: Outcome[], since: number) {
  const before = outcomes.filter((outcome) => outcome.startedAt < since).map((outcome) => outcome.ms);
  const after = outcomes.filter((outcome) => outcome.startedAt >= since).map((outcome) => outcome.ms);
  const quantile = (values: number[], q: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  };
  return {
    requests: outcomes.length,
    failed: outcomes.filter((outcome) => !outcome.ok).length,
    baselineP50: quantile(before, 0.5),
    baselineP99: quantile(before, 0.99),
    duringP99: quantile(after, 0.99),
    worst: Math.max(0, ...after),
    slowest: [...after].sort((a, b) => b - a).slice(0, 5),
  };
}

/** The retries a gateway made (copies sent again), from its `/metrics`. */
export async function retriesOf(gatewayUrl: string): Promise<Record<string, number>> {
  const text = await fetch(`${gatewayUrl}/metrics`).then(
    (response) => response.text(),
    () => '',
  );
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^atrium_outgoing_call_retries_total\{.*reason="([^"]+)".*\} (\d+)/.exec(line);
    if (match) totals[match[1]!] = (totals[match[1]!] ?? 0) + Number(match[2]);
  }
  return totals;
}
