import type { ContractClient, PublicContractClient } from './client.js';
import type { ServiceContract, ServiceName } from './operation.js';
import { environmentsContract } from './services/environments.js';
import { identityContract } from './services/identity.js';
import { projectsContract } from './services/projects.js';

/**
 * Every service and its contract, the one list the rest derives from: the contract list below,
 * the bus permissions, a handler's `ctx.services` (service-runtime's `ServiceClients`) and
 * `@atrium/client`'s `AtriumClient`. Its keys are exactly `SERVICE_NAMES` (operation.ts: the
 * contracts' internal operations name their callers by it), each the name of its contract — a
 * service missing here, or one too many, fails to compile. Declared in the order the gateway
 * publishes their REST operations.
 */
export const SERVICE_CONTRACTS = {
  identity: identityContract,
  projects: projectsContract,
  environments: environmentsContract,
} as const satisfies { readonly [N in ServiceName]: ServiceContract<N> };

export type ServiceContracts = typeof SERVICE_CONTRACTS;

/** Every service contract; the gateway publishes the REST operations of all of them. */
export const contracts: readonly ServiceContracts[ServiceName][] = Object.values(SERVICE_CONTRACTS);

/** A typed client of every operation of every service, by service: `services.projects.projects.get({ id })`. */
export type ServiceClientsOf = { readonly [N in ServiceName]: ContractClient<ServiceContracts[N]> };

type Intersection<U> = (U extends unknown ? (union: U) => void : never) extends (intersection: infer I) => void ? I : never;

/** Every public operation of every service, by resource: `client.projects.get({ id })` (`@atrium/client`). */
export type PublicClientOfEveryService = Intersection<{ [N in ServiceName]: PublicContractClient<ServiceContracts[N]> }[ServiceName]>;
