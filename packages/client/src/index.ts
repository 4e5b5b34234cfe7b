import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { CLIENT_APP, contracts, identityContract, inboxPrefix } from '@atrium/contract';
import type { Operation, PublicClientOfEveryService, ServiceContract } from '@atrium/contract';
import { IDEMPOTENCY_KEY_PATTERN } from '@atrium/nats-trpc';
import type { ServiceTransport } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, bounded, checkTimeout, operationTable } from './calls.js';
import { AtriumError, abortedError, toAtriumError } from './errors.js';

export { AtriumError } from './errors.js';
export type { AtriumErrorCode } from './errors.js';
export { DEFAULT_TIMEOUT_MS } from './calls.js';
export { connectDeployer, createDeployerClient } from './deployer.js';
export type { ConnectDeployerOptions, DeployerCallOptions, DeployerClient, DeployerClientOptions } from './deployer.js';

/** What one call may add to its input: `atrium.projects.create({ name }, { idempotencyKey, timeoutMs, signal })`. */
export interface CallOptions {
  /** Stops waiting when it aborts: the call rejects with `AtriumError` `ABORTED` (the service may still finish it). */
  signal?: AbortSignal;
  /** The longest this call may wait (default: the client's `timeoutMs`); past it, `SERVICE_UNAVAILABLE`. */
  timeoutMs?: number;
  /**
   * The call's Idempotency-Key (1–255 visible ASCII characters), as REST's header: the owning
   * service answers a repeat with the first answer, so a creating call may be retried safely —
   * and the transport may send it again itself when an attempt goes unanswered.
   */
  idempotencyKey?: string;
}

/** Each operation of `T` taking the per-call options after its input. */
type WithCallOptions<T> = {
  [R in keyof T]: {
    [V in keyof T[R]]: T[R][V] extends (input: infer I) => Promise<infer O> ? (input: I, options?: CallOptions) => Promise<O> : never;
  };
};

/** Every public operation, by resource: `client.projects.get({ id })`, `client.auth.me({})`, … */
export type AtriumClient = WithCallOptions<PublicClientOfEveryService>;

export interface AtriumClientOptions {
  /** How calls reach the services: `createNatsTransport` on a connection as the `client` NATS user. */
  transport: ServiceTransport;
  /** The API key (`atk_…`) or session token (`ats_…`) of the user the calls are made for. */
  credential: string;
  /** How long before its expiry a session assertion is renewed (default 5 s). */
  refreshMarginMs?: number;
  /** The longest a call may wait unless it says otherwise (default 5 s; a transport's own limit still applies). */
  timeoutMs?: number;
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
  const defaultTimeoutMs = checkTimeout(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  let current: Session | undefined;
  let renewing: Promise<Session> | undefined;

  // Shared by every call waiting for it, so bounded by the client's timeout, not by one call's signal.
  const exchange = async (): Promise<Session> => {
    const deadline = Date.now() + defaultTimeoutMs;
    const answer = (await options.transport.call({
      service: identityContract.name,
      path: 'credentials.exchange',
      kind: 'mutation',
      input: { credential: options.credential },
      meta: { requestId: randomUUID(), deadline },
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

  const invoke = async (contract: ServiceContract, path: string, operation: Operation, input: unknown, call: CallOptions = {}) => {
    try {
      const { signal, idempotencyKey } = call;
      if (signal?.aborted) throw abortedError(signal);
      if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey))) {
        throw new AtriumError('BAD_REQUEST', 'idempotencyKey must be 1–255 visible ASCII characters');
      }
      // One deadline for the whole call, the session exchange included; the service is told it too.
      const deadline = Date.now() + checkTimeout(call.timeoutMs, defaultTimeoutMs);
      const work = currentSession().then(({ assertion }) =>
        options.transport.call(
          {
            service: contract.name,
            path,
            kind: operation.kind,
            input,
            meta: { requestId: randomUUID(), assertion, deadline, idempotencyKey },
            repeatable: operation.repeatable === true,
          },
          signal,
        ),
      );
      // Left to end on its own when the caller stops waiting: not reported as unhandled.
      work.catch(() => undefined);
      return await bounded(work, contract.name, deadline, signal);
    } catch (error) {
      throw toAtriumError(error);
    }
  };

  // Public operations only, at run time as in the type: internal ones are not there at all.
  return operationTable(
    contracts as readonly ServiceContract[],
    (operation) => operation.rest !== undefined,
    invoke,
  ) as unknown as AtriumClient;
}

export interface ConnectAtriumOptions {
  /** NATS server URL(s). */
  servers: string | string[];
  /** The `client` NATS user (default `client`) and its password (see infra/k8s/nats-authorization.conf). */
  user?: string;
  pass?: string;
  /** TLS to the broker, as nats.js takes it. */
  tls?: ConnectionOptions['tls'];
  /** The user's API key or session token. */
  credential: string;
  /** The longest a call may wait unless it says otherwise, and connecting too (default 5 s). */
  timeoutMs?: number;
  /** Anything else nats.js's `connect` takes (reconnect policy, …); the fields above win. */
  connection?: Omit<ConnectionOptions, 'servers' | 'user' | 'pass' | 'tls' | 'inboxPrefix'>;
}

/**
 * Connects to NATS as a client and returns the typed client, plus `close()`. A broker that is
 * not there, or refuses the user, rejects with `AtriumError` (SERVICE_UNAVAILABLE, UNAUTHORIZED).
 */
export async function connectAtrium(options: ConnectAtriumOptions): Promise<AtriumClient & { close(): Promise<void> }> {
  const timeoutMs = checkTimeout(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const nc = await connect({
    name: CLIENT_APP,
    timeout: timeoutMs,
    ...options.connection,
    servers: options.servers,
    user: options.user ?? CLIENT_APP,
    pass: options.pass,
    tls: options.tls,
    // The bus lets a client read replies on its own inbox prefix only.
    inboxPrefix: inboxPrefix(CLIENT_APP),
  }).catch((error: unknown) => {
    throw toAtriumError(error);
  });
  const client = createAtriumClient({
    // Each call brings its own deadline (its timeoutMs): the transport's limit is only the timers'.
    transport: createNatsTransport(nc, { timeoutMs: MAX_TIMEOUT_MS }),
    credential: options.credential,
    timeoutMs,
  });
  return Object.assign(client, {
    close: () =>
      nc.close().catch((error: unknown) => {
        throw toAtriumError(error);
      }),
  });
}
