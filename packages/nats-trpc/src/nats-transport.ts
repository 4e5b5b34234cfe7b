import { Empty, RequestError, TimeoutError, ClosedConnectionError, headers } from '@nats-io/transport-node';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { ServiceUnavailableError, callDeadline, unwrapReply } from './call.js';
import { watchConnection } from './connection-watch.js';
import type { CallMeta, CallReply, ProcedureCall, ServiceTransport } from './call.js';
import { HEADER, procedureSubject } from './subjects.js';
import type { CallSigner } from './assertion.js';

export interface NatsTransportOptions {
  /**
   * The longest a call may wait; past it the caller gets SERVICE_UNAVAILABLE, never a hang. A
   * call made with an earlier deadline (forwarded from its own caller) waits only until then.
   */
  timeoutMs: number;
  /** Signs every call as this app (see assertion.ts); services refuse unsigned calls. */
  signer?: CallSigner;
}

export function metaToHeaders(meta: CallMeta, kind: string): MsgHdrs {
  const h = headers();
  h.set(HEADER.kind, kind);
  h.set(HEADER.requestId, meta.requestId);
  if (meta.deadline !== undefined) h.set(HEADER.deadline, String(meta.deadline));
  if (meta.assertion) h.set(HEADER.assertion, meta.assertion);
  return h;
}

/** Calls services over NATS request/reply; the queue group on the other side picks one instance. */
export function createNatsTransport(nc: NatsConnection, options: NatsTransportOptions): ServiceTransport {
  const connection = watchConnection(nc);
  const disconnected = (service: string) => new ServiceUnavailableError(service, 'disconnected');
  return {
    async call(call: ProcedureCall): Promise<unknown> {
      // While the broker is unreachable, say so now rather than after the whole deadline.
      if (!connection.connected()) throw disconnected(call.service);
      const now = Date.now();
      const deadline = callDeadline(call, options.timeoutMs, now);
      const payload = call.input === undefined ? Empty : JSON.stringify(call.input);
      try {
        const msg = await connection.untilDropped(
          nc.request(procedureSubject(call.service, call.path), payload, {
            timeout: deadline - now,
            headers: metaToHeaders(
              { requestId: call.meta.requestId, deadline, assertion: options.signer?.sign(call, deadline) ?? call.meta.assertion },
              call.kind,
            ),
          }),
          () => disconnected(call.service),
        );
        return unwrapReply(msg.json<CallReply>());
      } catch (error) {
        throw toTransportError(call.service, error);
      }
    },
  };
}

function toTransportError(service: string, error: unknown): unknown {
  if (error instanceof RequestError && error.isNoResponders()) return new ServiceUnavailableError(service, 'no-responders');
  if (error instanceof TimeoutError) return new ServiceUnavailableError(service, 'timeout');
  if (error instanceof ClosedConnectionError || (error instanceof RequestError && /closed/i.test(error.message))) {
    return new ServiceUnavailableError(service, 'disconnected');
  }
  return error;
}
