import { SERVICE_NAMES } from '@atrium/contract';
import type { ServiceTransport } from '@atrium/nats-trpc';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

const READINESS_DEADLINE_MS = 2000;

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Ready when the broker is connected and every service (and its database) answers. */
export async function checkReadiness(transport: ServiceTransport, brokerConnected: () => boolean): Promise<Readiness> {
  const checks: Readiness['checks'] = { nats: brokerConnected() ? 'ok' : 'disconnected' };
  await Promise.all(
    SERVICE_NAMES.map(async (service) => {
      try {
        await withDeadline(
          transport.call({ service, path: 'health.check', kind: 'query', input: undefined, meta: { requestId: 'readyz' } }),
          READINESS_DEADLINE_MS,
        );
        checks[service] = 'ok';
      } catch (error) {
        checks[service] = error instanceof Error ? error.message : 'unavailable';
      }
    }),
  );
  return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
}
