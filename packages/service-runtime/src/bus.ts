import { contractClient, environmentsContract, identityContract, projectsContract } from '@atrium/contract';
import type { ContractClient, ServiceContract } from '@atrium/contract';
import type { CallMeta, ServiceTransport } from '@atrium/nats-trpc';
import type { AppKeys } from './keys.js';
import type { Metrics } from './metrics.js';

/** How a service meets the others: its keys, and a transport for its own calls signed with them. */
export interface ServiceBus {
  keys: AppKeys;
  /** Calls to other services (over NATS, or in process), signed as this service. */
  transport: ServiceTransport;
  /** Where its calls are counted (see implementService); none in tests that do not look. */
  metrics?: Metrics;
}

/** Typed clients of every service, as a handler sees them (`ctx.services.projects.projects.get(…)`). */
export interface ServiceClients {
  identity: ContractClient<typeof identityContract>;
  projects: ContractClient<typeof projectsContract>;
  environments: ContractClient<typeof environmentsContract>;
}

/**
 * The clients a handler calls other services with. Every call carries the handler's request id
 * and its remaining deadline (a call whose deadline has passed is not started), and acts for
 * the handler's end user, when it has one, by forwarding the assertion its own call arrived
 * with — the callee checks that chain, so a service can speak only for users who called it.
 */
export function serviceClients(transport: ServiceTransport, meta: CallMeta): ServiceClients {
  const outgoing: CallMeta = {
    requestId: meta.requestId,
    deadline: meta.deadline,
    onBehalfOf: meta.caller ? meta.assertion : undefined,
  };
  const client = <C extends ServiceContract>(contract: C) =>
    contractClient(contract, (path, operation, input) =>
      transport.call({
        service: contract.name,
        path,
        kind: operation.kind,
        input,
        meta: outgoing,
        repeatable: operation.repeatable === true,
      }),
    );
  // Each client is built on first use: tRPC spreads the context at every middleware that
  // extends it, which reads `ctx.services`, so eager clients were built on every call
  // (measured: ~2% of the projects service's CPU on GET /projects/:id, which calls no one).
  let identity: ServiceClients['identity'] | undefined;
  let projects: ServiceClients['projects'] | undefined;
  let environments: ServiceClients['environments'] | undefined;
  return {
    get identity() {
      identity ??= client(identityContract);
      return identity;
    },
    get projects() {
      projects ??= client(projectsContract);
      return projects;
    },
    get environments() {
      environments ??= client(environmentsContract);
      return environments;
    },
  };
}

/**
 * A transport resolved on first use: in the embedded mode a service's outbound transport
 * needs every service's endpoint, which exist only once all have started.
 */
export function lazyTransport(resolve: () => ServiceTransport): ServiceTransport {
  return { call: (call, signal) => resolve().call(call, signal) };
}
