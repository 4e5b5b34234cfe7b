import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { environmentsContract, inboxPrefix } from '@atrium/contract';
import type { InternalContractClient, Operation, ServiceContract } from '@atrium/contract';
import { createCallSigner, parsePrivateKey } from '@atrium/nats-trpc';
import type { ServiceTransport } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, bounded, checkTimeout, operationTable } from './calls.js';
import { AtriumError, abortedError, toAtriumError } from './errors.js';

/** The app the deploy system is on the bus: its NATS user, its signing key's app, its inbox prefix. */
const DEPLOYER = 'deployer' as const;

/** What one deployer call may add to its input. */
export interface DeployerCallOptions {
  /** Stops waiting when it aborts: the call rejects with `AtriumError` `ABORTED`. */
  signal?: AbortSignal;
  /** The longest this call may wait (default: the client's `timeoutMs`); past it, `SERVICE_UNAVAILABLE`. */
  timeoutMs?: number;
}

type WithDeployerOptions<T> = {
  [R in keyof T]: {
    [V in keyof T[R]]: T[R][V] extends (input: infer I) => Promise<infer O>
      ? (input: I, options?: DeployerCallOptions) => Promise<O>
      : never;
  };
};

/**
 * The internal operations the deployer may call, by resource, typed from the contract:
 * `deployer.variables.resolve({ project_id, environment_id })` — every variable of the
 * environment with its value, secrets decrypted.
 */
export type DeployerClient = WithDeployerOptions<InternalContractClient<typeof environmentsContract, typeof DEPLOYER>>;

/** The contracts holding operations the deployer may call. */
const DEPLOYER_CONTRACTS: readonly ServiceContract[] = [environmentsContract];

export interface DeployerClientOptions {
  /** How calls reach the services: a transport that signs them with the deployer's key (`createNatsTransport` with `signer`). */
  transport: ServiceTransport;
  /** The longest a call may wait unless it says otherwise (default 5 s). */
  timeoutMs?: number;
}

/**
 * A typed client of the operations the contract lets `deployer` call, over a transport that
 * signs each call with the deployer's own key: there is no user and no session, the service
 * checks the signature and that the contract names `deployer` among the operation's callers.
 */
export function createDeployerClient(options: DeployerClientOptions): DeployerClient {
  const defaultTimeoutMs = checkTimeout(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const invoke = async (contract: ServiceContract, path: string, operation: Operation, input: unknown, call: DeployerCallOptions = {}) => {
    try {
      const { signal } = call;
      if (signal?.aborted) throw abortedError(signal);
      const deadline = Date.now() + checkTimeout(call.timeoutMs, defaultTimeoutMs);
      const work = options.transport.call(
        {
          service: contract.name,
          path,
          kind: operation.kind,
          input,
          meta: { requestId: randomUUID(), deadline },
          repeatable: operation.repeatable === true,
        },
        signal,
      );
      work.catch(() => undefined);
      return await bounded(work, contract.name, deadline, signal);
    } catch (error) {
      throw toAtriumError(error);
    }
  };
  // Only the operations naming the deployer, at run time as in the type.
  const callable = (operation: Operation) => (operation.internal?.callers as readonly string[] | undefined)?.includes(DEPLOYER) === true;
  return operationTable(DEPLOYER_CONTRACTS, callable, invoke) as unknown as DeployerClient;
}

export interface ConnectDeployerOptions {
  /** NATS server URL(s). */
  servers: string | string[];
  /** The `deployer` NATS user (default `deployer`) and its password (`NATS_PASSWORD` of `pnpm keygen`'s deployer.env). */
  user?: string;
  pass?: string;
  /** TLS to the broker, as nats.js takes it. */
  tls?: ConnectionOptions['tls'];
  /** The deployer's Ed25519 private key: `ATRIUM_SIGNING_KEY` of deployer.env (base64 PKCS#8 DER, or PEM). */
  signingKey: string;
  /** The id the services know that key by: `ATRIUM_SIGNING_KEY_ID` of deployer.env. */
  signingKeyId: string;
  /** The longest a call may wait unless it says otherwise, and connecting too (default 5 s). */
  timeoutMs?: number;
  /** Anything else nats.js's `connect` takes; the fields above win. */
  connection?: Omit<ConnectionOptions, 'servers' | 'user' | 'pass' | 'tls' | 'inboxPrefix'>;
}

/**
 * Connects to NATS as the deployer and returns its typed client, plus `close()`. A signing key
 * that does not parse rejects with `BAD_REQUEST` before connecting; a broker that is not there,
 * or refuses the user, with `SERVICE_UNAVAILABLE`, `UNAUTHORIZED`.
 */
export async function connectDeployer(options: ConnectDeployerOptions): Promise<DeployerClient & { close(): Promise<void> }> {
  const timeoutMs = checkTimeout(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  let privateKey: ReturnType<typeof parsePrivateKey>;
  try {
    privateKey = parsePrivateKey(options.signingKey);
  } catch (error) {
    throw new AtriumError('BAD_REQUEST', `signingKey: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (typeof options.signingKeyId !== 'string' || options.signingKeyId === '') {
    throw new AtriumError('BAD_REQUEST', 'signingKeyId: the id of the signing key (ATRIUM_SIGNING_KEY_ID) is required');
  }
  const signer = createCallSigner({ app: DEPLOYER, kid: options.signingKeyId, privateKey });
  const nc = await connect({
    name: DEPLOYER,
    timeout: timeoutMs,
    ...options.connection,
    servers: options.servers,
    user: options.user ?? DEPLOYER,
    pass: options.pass,
    tls: options.tls,
    // The bus lets the deployer read replies on its own inbox prefix only.
    inboxPrefix: inboxPrefix(DEPLOYER),
  }).catch((error: unknown) => {
    throw toAtriumError(error);
  });
  const client = createDeployerClient({ transport: createNatsTransport(nc, { timeoutMs: MAX_TIMEOUT_MS, signer }), timeoutMs });
  return Object.assign(client, {
    close: () =>
      nc.close().catch((error: unknown) => {
        throw toAtriumError(error);
      }),
  });
}
