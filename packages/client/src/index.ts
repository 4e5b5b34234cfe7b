import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { CLIENT_APP, contractClient, contracts, identityContract, inboxPrefix } from '@atrium/contract';
import type { PublicClientOfEveryService, ServiceContract } from '@atrium/contract';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import type { ServiceTransport } from '@atrium/nats-trpc';
import { toAtriumError } from './errors.js';

export { AtriumError } from './errors.js';

/** Every public operation, by resource: `client.projects.get({ id })`, `client.auth.me({})`, … */
export type AtriumClient = PublicClientOfEveryService;

export interface AtriumClientOptions {
  /** How calls reach the services: `createNatsTransport` on a connection as the `client` NATS user. */
  transport: ServiceTransport;
  /** The API key (`atk_…`) or session token (`ats_…`) of the user the calls are made for. */
  credential: string;
  /** How long before its expiry a session assertion is renewed (default 5 s). */
  refreshMarginMs?: number;
}

interface Session {
  assertion: string;
  expiresAt: number;
}

/**
 * A typed client of every public operation for TypeScript services outside the gateway. The
 * credential is exchanged with identity for a short-lived session assertion (signed by identity,
 * so the services believe it without asking anyone), which every call carries and which is
 * renewed before it runs out. Failures reject with `AtriumError` and the API's error code.
 */
export function createAtriumClient(options: AtriumClientOptions): AtriumClient {
  const margin = options.refreshMarginMs ?? 5000;
  let current: Session | undefined;
  let renewing: Promise<Session> | undefined;

  const exchange = async (): Promise<Session> => {
    const answer = (await options.transport.call({
      service: identityContract.name,
      path: 'credentials.exchange',
      kind: 'mutation',
      input: { credential: options.credential },
      meta: { requestId: randomUUID() },
    })) as { assertion: string; expires_at: string };
    return { assertion: answer.assertion, expiresAt: Date.parse(answer.expires_at) };
  };

  // Renewed before it runs out; concurrent calls share one exchange, and a failed one is not kept.
  const currentSession = (): Promise<Session> => {
    if (current && current.expiresAt - margin > Date.now()) return Promise.resolve(current);
    renewing ??= exchange()
      .then((session) => {
        current = session;
        return session;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  };

  const client = <C extends ServiceContract>(contract: C) =>
    contractClient(
      contract,
      async (path, operation, input) => {
        try {
          const { assertion } = await currentSession();
          return await options.transport.call({
            service: contract.name,
            path,
            kind: operation.kind,
            input,
            meta: { requestId: randomUUID(), assertion },
          });
        } catch (error) {
          throw toAtriumError(error);
        }
      },
      { publicOnly: true },
    );
  return Object.assign({}, ...contracts.map((contract) => client(contract))) as AtriumClient;
}

export interface ConnectAtriumOptions {
  /** NATS server URL(s). */
  servers: string | string[];
  /** The `client` NATS user's password (see infra/k8s/nats-authorization.conf). */
  user?: string;
  pass?: string;
  /** TLS to the broker, as nats.js takes it. */
  tls?: ConnectionOptions['tls'];
  /** The user's API key or session token. */
  credential: string;
  /** The longest a call may wait (default 5 s). */
  timeoutMs?: number;
}

/** Connects to NATS as a client and returns the typed client, plus `close()`. */
export async function connectAtrium(options: ConnectAtriumOptions): Promise<AtriumClient & { close(): Promise<void> }> {
  const nc = await connect({
    servers: options.servers,
    user: options.user ?? CLIENT_APP,
    pass: options.pass,
    tls: options.tls,
    name: CLIENT_APP,
    // The bus lets a client read replies on its own inbox prefix only.
    inboxPrefix: inboxPrefix(CLIENT_APP),
  });
  const client = createAtriumClient({
    transport: createNatsTransport(nc, { timeoutMs: options.timeoutMs ?? 5000 }),
    credential: options.credential,
  });
  return Object.assign(client, { close: () => nc.close() });
}
