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

/**
 * Stops the gateway: unready at once; for `delayMs` it keeps serving while load balancers notice
 * (Kubernetes needs none: its preStop hook waits before the signal); then it stops listening and
 * finishes every request in flight (Fastify's close), which resolves once they are answered.
 */
export async function stopGateway(app: FastifyInstance, delayMs = 0): Promise<void> {
  const state = states.get(app);
  if (state) state.stopping = true;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await app.close();
}
