import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((server) => server.trim()),
    name,
    // Reconnect forever: a NATS cluster restart must not take the service down.
    maxReconnectAttempts: -1,
    // Stack traces captured per request cost measurable time on the hot path.
    noAsyncTraces: true,
  });
}
