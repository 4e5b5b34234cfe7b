import { ServiceUnavailableError, callDeadline, unwrapReply } from './call.js';
import type { CallReply, ProcedureCall, ServiceTransport } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';

/**
 * Calls routers in the same process (the embedded one-process mode). Input and reply go
 * through JSON exactly as they would over NATS, so both modes see the same values.
 */
export function createLocalTransport(
  // biome-ignore lint/suspicious/noExplicitAny: each service's endpoint has its own context type
  endpoints: Partial<Record<string, RouterEndpoint<any>>>,
  options: { timeoutMs?: number } = {},
): ServiceTransport {
  return {
    async call(call: ProcedureCall, signal?: AbortSignal): Promise<unknown> {
      const endpoint = endpoints[call.service];
      if (!endpoint) throw new ServiceUnavailableError(call.service, 'no-responders');
      // The same deadline rule as over NATS (the handler is not interrupted: nothing is in between to time out).
      const deadline = callDeadline(call, options.timeoutMs ?? Number.POSITIVE_INFINITY);
      const payload = call.input === undefined ? undefined : JSON.stringify(call.input);
      const reply = await dispatchCall(
        endpoint,
        call.path,
        call.kind,
        () => (payload === undefined ? undefined : JSON.parse(payload)),
        Number.isFinite(deadline) ? { ...call.meta, deadline } : call.meta,
        signal,
      );
      return unwrapReply(JSON.parse(JSON.stringify(reply)) as CallReply);
    },
  };
}
