import type { NatsConnection } from '@nats-io/transport-node';

/** What a caller needs to know about its broker connection: is it up, and tell me when it drops. */
export interface ConnectionWatch {
  connected(): boolean;
  /** Resolves true once connected (at once if it is), false if `withinMs` passes first. */
  reconnected(withinMs: number): Promise<boolean>;
  /**
   * Settles like `promise`; if the connection drops meanwhile and is not back within `graceMs`,
   * rejects with `onDrop()` then. On a cluster the client reconnects to another node in a few
   * hundred milliseconds, and a reply already on its way still arrives on the same inbox; with
   * no broker at all, waiting out the call's deadline would be pointless.
   */
  untilDropped<T>(promise: Promise<T>, onDrop: () => unknown, graceMs: number): Promise<T>;
}

const watches = new WeakMap<NatsConnection, ConnectionWatch>();

/**
 * Follows a connection's status events. nats.js keeps requests made while disconnected in its
 * buffer until it reconnects or the request times out; callers use this to refuse soon instead.
 */
export function watchConnection(nc: NatsConnection): ConnectionWatch {
  const existing = watches.get(nc);
  if (existing) return existing;
  let up = true;
  const onDisconnect = new Set<() => void>();
  const onReconnect = new Set<() => void>();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'close') {
        up = false;
        for (const listener of onDisconnect) listener();
      } else if (status.type === 'reconnect') {
        up = true;
        for (const listener of onReconnect) listener();
      }
    }
  })();
  const connected = () => up && !nc.isClosed();
  const reconnected = (withinMs: number) =>
    new Promise<boolean>((resolve) => {
      if (connected()) return resolve(true);
      if (nc.isClosed() || withinMs <= 0) return resolve(false);
      const done = (value: boolean) => {
        clearTimeout(timer);
        onReconnect.delete(back);
        resolve(value);
      };
      const back = () => done(true);
      const timer = setTimeout(() => done(false), withinMs);
      onReconnect.add(back);
    });
  const watch: ConnectionWatch = {
    connected,
    reconnected,
    untilDropped(promise, onDrop, graceMs) {
      return new Promise((resolve, reject) => {
        let settled = false;
        const dropped = () => {
          void reconnected(graceMs).then((back) => {
            if (!back && !settled) reject(onDrop());
          });
        };
        onDisconnect.add(dropped);
        promise.then(resolve, reject).finally(() => {
          settled = true;
          onDisconnect.delete(dropped);
        });
      });
    },
  };
  watches.set(nc, watch);
  return watch;
}
