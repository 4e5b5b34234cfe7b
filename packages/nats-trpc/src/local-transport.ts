import { ServiceUnavailableError, callDeadline, readReply } from './call.js';
import type { ProcedureCall, ServiceTransport } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';
import { createTurnSigner } from './assertion.js';
import type { CallSigner } from './assertion.js';
import { tracedInProcess } from './tracing.js';

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Calls routers in the same process (the embedded one-process mode). Input and reply go
 * through JSON exactly as they would over NATS, so both modes see the same values.
 */
export function createLocalTransport(
  // biome-ignore lint/suspicious/noExplicitAny: each service's endpoint has its own context type
  endpoints: Partial<Record<string, RouterEndpoint<any>>>,
  options: { timeoutMs?: number; signer?: CallSigner } = {},
): ServiceTransport {
  const signInThisTurn = options.signer ? createTurnSigner(options.signer) : undefined;
  return tracedInProcess({
    async call(call: ProcedureCall, signal?: AbortSignal): Promise<unknown> {
      const endpoint = endpoints[call.service];
      if (!endpoint) throw new ServiceUnavailableError(call.service, 'no-responders');
      // The same deadline rule as over NATS (the handler is not interrupted: nothing is in between to time out).
      const deadline = callDeadline(call, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const payload = call.input === undefined ? undefined : JSON.stringify(call.input);
      const assertion = signInThisTurn ? await signInThisTurn({ call, deadline }) : call.meta.assertion;
      const reply = await dispatchCall(
        endpoint,
        call.path,
        call.kind,
        () => (payload === undefined ? undefined : JSON.parse(payload)),
        // What crosses NATS, and nothing more: the receiving side verifies the same assertion.
        {
          requestId: call.meta.requestId,
          deadline,
          assertion,
          idempotencyKey: call.meta.idempotencyKey,
        },
        signal,
      );
      return readReply(JSON.stringify(reply));
    },
  });
}
