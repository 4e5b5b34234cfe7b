import { ServiceUnavailableError, unwrapReply } from './call.js';
import type { CallReply, ProcedureCall, ServiceTransport } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';

/**
 * Calls routers in the same process (the embedded one-process mode). Input and reply go
 * through JSON exactly as they would over NATS, so both modes see the same values.
 */
// biome-ignore lint/suspicious/noExplicitAny: each service's endpoint has its own context type
export function createLocalTransport(endpoints: Partial<Record<string, RouterEndpoint<any>>>): ServiceTransport {
  return {
    async call(call: ProcedureCall, signal?: AbortSignal): Promise<unknown> {
      const endpoint = endpoints[call.service];
      if (!endpoint) throw new ServiceUnavailableError(call.service, 'no-responders');
      const payload = call.input === undefined ? undefined : JSON.stringify(call.input);
      const reply = await dispatchCall(
        endpoint,
        call.path,
        call.kind,
        () => (payload === undefined ? undefined : JSON.parse(payload)),
        call.meta,
        signal,
      );
      return unwrapReply(JSON.parse(JSON.stringify(reply)) as CallReply);
    },
  };
}
