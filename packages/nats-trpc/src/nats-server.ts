import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { TRPCError } from '@trpc/server';
import type { CallMeta, ProcedureKind } from './call.js';
import { dispatchCall } from './dispatch.js';
import type { RouterEndpoint } from './dispatch.js';
import { HEADER, queueGroup, serviceSubjectPrefix } from './subjects.js';

export function metaFromHeaders(h: MsgHdrs | undefined): CallMeta {
  const userId = h?.get(HEADER.userId);
  const credentialId = h?.get(HEADER.credentialId);
  return {
    requestId: h?.get(HEADER.requestId) || 'internal',
    caller: userId && credentialId ? { userId, credentialId } : undefined,
  };
}

function kindFromHeaders(h: MsgHdrs | undefined): ProcedureKind {
  return h?.get(HEADER.kind) === 'mutation' ? 'mutation' : 'query';
}

function parseInput(msg: Msg): unknown {
  if (msg.data.length === 0) return undefined;
  try {
    return msg.json();
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The request payload is not valid JSON', cause });
  }
}

/**
 * Serves a tRPC router on `svc.<service>.v1.>` in the service's queue group: every
 * instance subscribes, NATS hands each request to one of them.
 */
export function serveRouterOverNats<Ctx>(
  nc: NatsConnection,
  service: string,
  endpoint: RouterEndpoint<Ctx>,
): Subscription {
  const prefix = serviceSubjectPrefix(service);
  return nc.subscribe(`${prefix}>`, {
    queue: queueGroup(service),
    callback: (error, msg) => {
      if (error || !msg.reply) return;
      void answer(msg);
    },
  });

  async function answer(msg: Msg): Promise<void> {
    const path = msg.subject.slice(prefix.length);
    const reply = await dispatchCall(endpoint, path, kindFromHeaders(msg.headers), () => parseInput(msg), metaFromHeaders(msg.headers));
    msg.respond(JSON.stringify(reply));
  }
}
