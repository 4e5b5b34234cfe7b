import type { z } from 'zod';
import type { CallerName, Operation, ServiceContract } from './operation.js';

type Call<Op extends Operation> = (input: z.input<Op['input']>) => Promise<z.output<Op['output']>>;

/** A typed client of one service: `client.projects.get({ id })`, every operation of its contract. */
export type ContractClient<C extends ServiceContract> = {
  [R in keyof C['operations']]: { [V in keyof C['operations'][R]]: Call<C['operations'][R][V]> };
};

type PublicVerbs<Ops> = { [V in keyof Ops as Ops[V] extends { rest: object } ? V : never]: Ops[V] };

/** The same without internal operations: what code outside the services may call. */
export type PublicContractClient<C extends ServiceContract> = {
  [R in keyof C['operations'] as keyof PublicVerbs<C['operations'][R]> extends never ? never : R]: {
    [V in keyof PublicVerbs<C['operations'][R]>]: Call<C['operations'][R][V]>;
  };
};

type VerbsCallableBy<Ops, A extends CallerName> = {
  [V in keyof Ops as Ops[V] extends { internal: { callers: readonly (infer X)[] } } ? (A extends X ? V : never) : never]: Ops[V];
};

/**
 * The internal operations an app outside the services may call, and nothing else: what
 * `@atrium/client` gives the deployer (`InternalContractClient<typeof environmentsContract, 'deployer'>`
 * is `{ variables: { resolve } }`).
 */
export type InternalContractClient<C extends ServiceContract, A extends CallerName> = {
  [R in keyof C['operations'] as keyof VerbsCallableBy<C['operations'][R], A> extends never ? never : R]: {
    [V in keyof VerbsCallableBy<C['operations'][R], A>]: Call<C['operations'][R][V]>;
  };
};

export type InvokeOperation = (procedure: string, operation: Operation, input: unknown) => Promise<unknown>;

/**
 * Builds a client from a contract; each function hands its procedure path, operation and input
 * to `invoke` (which adds the transport, metadata and signing). `publicOnly` leaves internal
 * operations out at run time as the public client type does at compile time.
 */
export function contractClient<C extends ServiceContract>(
  contract: C,
  invoke: InvokeOperation,
  options: { publicOnly: true },
): PublicContractClient<C>;
export function contractClient<C extends ServiceContract>(
  contract: C,
  invoke: InvokeOperation,
  options?: { publicOnly?: false },
): ContractClient<C>;
export function contractClient(contract: ServiceContract, invoke: InvokeOperation, options: { publicOnly?: boolean } = {}): unknown {
  const client: Record<string, Record<string, (input: unknown) => Promise<unknown>>> = {};
  for (const [resource, verbs] of Object.entries(contract.operations)) {
    for (const [verb, operation] of Object.entries(verbs)) {
      if (options.publicOnly && !operation.rest) continue;
      client[resource] ??= {};
      client[resource][verb] = (input) => invoke(`${resource}.${verb}`, operation, input);
    }
  }
  return client;
}
