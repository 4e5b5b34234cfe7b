import type { NatsConnection } from '@nats-io/transport-node';

/** What a caller needs to know about its broker connection: is it up, and tell me when it drops. */
export interface ConnectionWatch {
  connected(): boolean;
  /**
   * Settles like `promise`, or rejects with `onDrop()` as soon as the connection drops: a
   * request in flight then has no way to get its reply, so waiting out its deadline is pointless.
   */
  untilDropped<T>(promise: Promise<T>, onDrop: () => unknown): Promise<T>;
}

const watches = new WeakMap<NatsConnection, ConnectionWatch>();

/**
 * Follows a connection's status events. nats.js keeps requests made while disconnected in its
 * buffer until it reconnects or the request times out; callers use this to refuse at once.
 */
export function watchConnection(nc: NatsConnection): ConnectionWatch {
  const existing = watches.get(nc);
  if (existing) return existing;
  let up = true;
  const onDisconnect = new Set<() => void>();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'close') {
        up = false;
        for (const listener of onDisconnect) listener();
      } else if (status.type === 'reconnect') {
        up = true;
      }
    }
  })();
  const watch: ConnectionWatch = {
    connected: () => up && !nc.isClosed(),
    untilDropped(promise, onDrop) {
      return new Promise((resolve, reject) => {
        const dropped = () => reject(onDrop());
        onDisconnect.add(dropped);
        promise.then(resolve, reject).finally(() => onDisconnect.delete(dropped));
      });
    },
  };
  watches.set(nc, watch);
  return watch;
}
