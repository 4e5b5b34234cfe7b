/**
 * NATS and JetStream errors that say the broker could not serve a request just now (no stream
 * leader during an election, a reconnect, a time-out), told by name so that this module loads
 * no NATS client: the one-process mode has none. They say nothing about what was asked, so the
 * outbox relay never counts them against an event and the gateway answers them 503.
 */
const BROKER_UNAVAILABLE = new Set([
  'TimeoutError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
  'NoResponders',
  'JetStreamNotEnabled',
]);

export function isBrokerUnavailable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (BROKER_UNAVAILABLE.has(cause.name)) return true;
    if (cause.name === 'JetStreamStatusError' && (cause as { code?: unknown }).code === 503) return true;
  }
  return false;
}
