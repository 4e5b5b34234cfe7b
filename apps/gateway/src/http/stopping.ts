import type { FastifyInstance } from 'fastify';

interface StopState {
  stopping: boolean;
}
const states = new WeakMap<FastifyInstance, StopState>();

/**
 * Makes the gateway stoppable without failing a request: once `stopGateway` begins, `/readyz`
 * answers 503 (load balancers take it out of rotation) and every answer closes its connection
 * (`Connection: close`), so keep-alive clients reconnect — elsewhere, once the listener is gone —
 * instead of reusing a socket that is about to close under their next request.
 */
export function registerStopping(app: FastifyInstance): StopState {
  const state: StopState = { stopping: false };
  states.set(app, state);
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.stopping) void reply.header('connection', 'close');
    done(null, payload);
  });
  return state;
}

export interface StopTimings {
  /** How long it keeps serving, unready, before it stops listening (SHUTDOWN_DELAY_MS). */
  delayMs: number;
  /** Then how long the requests in flight get before the connections still open are closed (SHUTDOWN_TIMEOUT_MS). */
  graceMs: number;
}

/**
 * The stop's timings from the configuration. Unless SHUTDOWN_TIMEOUT_MS says otherwise, the
 * requests in flight get twice the call deadline: a REST request waits on at most two calls in
 * turn (its credential's authentication when not cached, then its operation), each answered or
 * failed within NATS_REQUEST_TIMEOUT_MS. A connection still open after that is a client's doing.
 */
export function stopTimings(config: {
  SHUTDOWN_DELAY_MS: number;
  SHUTDOWN_TIMEOUT_MS?: number;
  NATS_REQUEST_TIMEOUT_MS: number;
}): StopTimings {
  return { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_TIMEOUT_MS ?? 2 * config.NATS_REQUEST_TIMEOUT_MS };
}

/**
 * Stops the gateway: unready at once; for `delayMs` it keeps serving while load balancers notice
 * (Kubernetes needs none: its preStop hook waits before the signal); then it stops listening and
 * finishes every request in flight (Fastify's close), which resolves once their connections end.
 * A client can keep its connection from ending — trickling its request's headers or body (Node
 * enforces no request time-out once the server closes), or, for an answer sent as a stream, not
 * reading it — and would hold the process past the orchestrator's patience (SIGKILL: no NATS
 * drain). So `graceMs` after the listener stops, the connections still open are closed, with a
 * warning. (An answer sent whole but unread does not hold it: Node's close ends that connection.)
 */
export async function stopGateway(app: FastifyInstance, timings: StopTimings): Promise<void> {
  const state = states.get(app);
  if (state) state.stopping = true;
  if (timings.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, timings.delayMs));
  // Fastify's close stops the listener at once, then waits for every connection to end.
  const closing = app.close();
  const deadline = setTimeout(() => closeRemainingConnections(app, timings.graceMs), timings.graceMs);
  // The server's 'close' comes once its last connection has ended: nothing left to cut.
  app.server.once('close', () => clearTimeout(deadline));
  try {
    await closing;
  } finally {
    clearTimeout(deadline);
  }
}

function closeRemainingConnections(app: FastifyInstance, graceMs: number): void {
  app.server.getConnections((error, count) => {
    app.server.closeAllConnections();
    if (error || count === 0) return;
    app.log.warn(
      { connections: count, graceMs },
      `closed ${count} ${count === 1 ? 'connection' : 'connections'} still open ${graceMs} ms after the gateway stopped listening (SHUTDOWN_TIMEOUT_MS): requests not sent in full, or answers not read`,
    );
  });
}
