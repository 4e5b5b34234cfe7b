import type { NatsConnection } from '@nats-io/transport-node';

/** Resolves with the server's refusal of what `act` did on `nc`, or undefined if none came. */
export async function refusal(nc: NatsConnection, act: () => void): Promise<string | undefined> {
  const statuses = nc.status();
  const seen = (async () => {
    for await (const status of statuses) {
      if (status.type === 'error' && /permission/i.test(String(status.error))) return String(status.error);
    }
    return undefined;
  })();
  act();
  await nc.flush();
  // The refusal is sent before the reply to flush's ping: it has arrived by now if it ever will.
  return Promise.race([seen, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
}
