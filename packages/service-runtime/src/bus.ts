import { SERVICE_CONTRACTS, SERVICE_NAMES, contractClient } from '@atrium/contract';
import type { ServiceClientsOf, ServiceContract, ServiceName } from '@atrium/contract';
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
export type ServiceClients = ServiceClientsOf;

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
  return new LazyServiceClients(transport, outgoing) as unknown as ServiceClients;
}

/**
 * Each client is built on first use: tRPC spreads the context at every middleware that
 * extends it, which reads `ctx.services`, so eager clients were built on every call
 * (measured: ~2% of the projects service's CPU on GET /projects/:id, which calls no one).
 * One getter per service of the contract's `SERVICE_CONTRACTS`, on the prototype.
 */
class LazyServiceClients {
  readonly built: Partial<Record<ServiceName, unknown>> = {};
  constructor(
    readonly transport: ServiceTransport,
    readonly outgoing: CallMeta,
  ) {}

  client<C extends ServiceContract>(contract: C) {
    return contractClient(contract, (path, operation, input) =>
      this.transport.call({
        service: contract.name,
        path,
        kind: operation.kind,
        input,
        meta: this.outgoing,
        repeatable: operation.repeatable === true,
      }),
    );
  }
}
for (const name of SERVICE_NAMES) {
  Object.defineProperty(LazyServiceClients.prototype, name, {
    get(this: LazyServiceClients) {
      this.built[name] ??= this.client(SERVICE_CONTRACTS[name]);
      return this.built[name];
    },
  });
}

/**
 * A transport resolved on first use: in the embedded mode a service's outbound transport
 * needs every service's endpoint, which exist only once all have started.
 */
export function lazyTransport(resolve: () => ServiceTransport): ServiceTransport {
  return { call: (call, signal) => resolve().call(call, signal) };
}
