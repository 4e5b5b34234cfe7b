import { SERVICE_NAMES } from '@atrium/contract';
import type { ServiceTransport } from '@atrium/nats-trpc';

/**
 * What `/readyz` answers. `ready` is about this gateway alone: it runs and reaches the broker.
 * Each service's state is reported in `checks` but does not make the gateway unready — one
 * service down must not take the whole API out of an orchestrator's rotation; its routes
 * answer 503 on their own.
 */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
  /**
   * What the services report beyond being up: the events each consumer gave up on (dead
   * letters), per service and consumer. Informational: they need a person, not a restart.
   */
  details: { dead_letters: Record<string, Record<string, number>> };
}

/** How long one probe may take, for the broker's round trip and each service's `health.check`. */
const PROBE_DEADLINE_MS = 2000;
/** Probes are shared for this long: `/readyz` needs no credential, so it must stay cheap to hit. */
export const READINESS_CACHE_MS = 1000;

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

async function probe(check: () => Promise<unknown>): Promise<{ status: string; answer?: unknown }> {
  try {
    return { status: 'ok', answer: await withDeadline(check(), PROBE_DEADLINE_MS) };
  } catch (error) {
    return { status: error instanceof Error ? error.message : 'unavailable' };
  }
}

/**
 * Probes the broker with a real round trip (`roundTrip`, e.g. `nc.rtt()`: a connection object
 * that says "connected" proves nothing while the broker is gone) and every service with its
 * `health.check`, which also touches its database.
 */
export async function checkReadiness(transport: ServiceTransport, roundTrip: () => Promise<unknown>): Promise<Readiness> {
  const [broker, ...services] = await Promise.all([
    probe(roundTrip),
    ...SERVICE_NAMES.map((service) =>
      probe(() => transport.call({ service, path: 'health.check', kind: 'query', input: undefined, meta: { requestId: 'readyz' } })),
    ),
  ]);
  const checks: Readiness['checks'] = { nats: broker!.status };
  const details: Readiness['details'] = { dead_letters: {} };
  SERVICE_NAMES.forEach((service, i) => {
    checks[service] = services[i]!.status;
    const deadLetters = (services[i]!.answer as { dead_letters?: Record<string, number> } | undefined)?.dead_letters;
    if (deadLetters) details.dead_letters[service] = deadLetters;
  });
  return { ready: broker!.status === 'ok', checks, details };
}

/** Shares one probe between every caller for `ttlMs` after it settles, and while it runs. */
export function cachedReadiness(check: () => Promise<Readiness>, ttlMs = READINESS_CACHE_MS): () => Promise<Readiness> {
  let current: { result: Promise<Readiness>; until: number } | undefined;
  return () => {
    if (!current || current.until < Date.now()) {
      const entry = { result: check(), until: Number.POSITIVE_INFINITY };
      void entry.result.finally(() => {
        entry.until = Date.now() + ttlMs;
      });
      current = entry;
    }
    return current.result;
  };
}
