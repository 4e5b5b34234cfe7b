import { createTRPCClient } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { environmentsContract, identityContract, projectsContract } from '@atrium/contract';
import type { ContractRouter } from '@atrium/contract';
import { transportLink } from '@atrium/nats-trpc';
import type { CallMeta, ServiceTransport } from '@atrium/nats-trpc';

export type IdentityClient = TRPCClient<ContractRouter<typeof identityContract>>;
export type ProjectsClient = TRPCClient<ContractRouter<typeof projectsContract>>;
export type EnvironmentsClient = TRPCClient<ContractRouter<typeof environmentsContract>>;

export interface AtriumClient {
  identity: IdentityClient;
  projects: ProjectsClient;
  environments: EnvironmentsClient;
}

export interface AtriumClientOptions {
  /** `createNatsTransport(nc, …)` from @atrium/nats-trpc, or an in-process transport. */
  transport: ServiceTransport;
  /**
   * Who the calls are made for and under which request id; called per call with the
   * operation context (pass `{ context: { meta } }` to a call to override it).
   */
  meta: (context: Record<string, unknown>) => CallMeta;
}

/**
 * Typed tRPC clients for every service, with types computed from the contracts — an internal
 * service imports this package, never another service's code.
 *
 * ```ts
 * const atrium = createAtriumClient({ transport: createNatsTransport(nc, { timeoutMs: 5000 }), meta: () => ({ requestId }) });
 * const project = await atrium.projects.projects.get.query({ id });
 * ```
 */
export function createAtriumClient(options: AtriumClientOptions): AtriumClient {
  const client = <C extends { name: string }>(contract: C) =>
    createTRPCClient<AnyTRPCRouter>({ links: [transportLink(options.transport, contract.name, options.meta)] });
  return {
    identity: client(identityContract) as IdentityClient,
    projects: client(projectsContract) as ProjectsClient,
    environments: client(environmentsContract) as EnvironmentsClient,
  };
}
